#include "common/option_parser.hpp"

#include <fmt/format.h>
#include <optional>

#include "common/text.hpp"

namespace udpecho {
namespace {

const option_spec* find_long(std::span<const option_spec> specs, std::string_view name) {
  for (const auto& spec : specs) {
    if (!spec.long_name.empty() && spec.long_name == name) return &spec;
  }
  return nullptr;
}

const option_spec* find_short(std::span<const option_spec> specs, char name) {
  for (const auto& spec : specs) {
    if (spec.short_name != 0 && spec.short_name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

std::string option_name(const option_spec& spec) {
  if (spec.long_name.empty()) return fmt::format("-{}", spec.short_name);
  return fmt::format("--{}", spec.long_name);
}

std::string walk_command_line(const std::vector<std::string>& args,
                              std::span<const option_spec> specs, const option_handler& on_option,
                              const argument_handler& on_argument) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) {
        if (auto error = on_argument(args[i]); !error.empty()) return error;
      }
      break;
    }
    const option_spec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (arg.starts_with("--")) {
      std::string_view name = std::string_view(arg).substr(2);
      if (auto equals = name.find('='); equals != std::string_view::npos) {
        inline_value = std::string(name.substr(equals + 1));
        name = name.substr(0, equals);
      }
      spec = find_long(specs, name);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      spec = find_short(specs, arg[1]);
      if (spec != nullptr && arg.size() > 2) {
        if (!spec->takes_value) return fmt::format("unknown option {}", quoted(arg, 200));
        inline_value = arg.substr(2);
      }
    } else {
      if (auto error = on_argument(arg); !error.empty()) return error;
      continue;
    }
    if (spec == nullptr) return fmt::format("unknown option {}", quoted(arg, 200));
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return fmt::format("option '{}' needs a value", option_name(*spec));
      }
    } else if (inline_value) {
      return fmt::format("option '{}' takes no value", option_name(*spec));
    }
    if (auto error = on_option(*spec, value); !error.empty()) return error;
  }
  return {};
}

}  // namespace udpecho
