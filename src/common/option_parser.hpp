// The command-line walk both programs share: "--name value", "--name=value", "-x value" and
// "-xVALUE", and "--" before arguments that start with '-'. What each option means stays with
// the program.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace udpecho {

struct option_spec {
  std::string_view long_name;  // empty when there is only a short form
  char short_name;             // 0 when there is only a long form
  bool takes_value;
};

/// How messages name an option: "--name", or "-x" when it has no long form.
std::string option_name(const option_spec& spec);

/// Returns why an option or argument is wrong, or an empty string.
using option_handler = std::function<std::string(const option_spec&, const std::string& value)>;
using argument_handler = std::function<std::string(const std::string& argument)>;

/// Walks `args` (argv without argv[0]) in order: `on_option` gets each option with its value
/// (empty for one that takes none), `on_argument` each other argument. Stops at the first error,
/// the walk's own ("unknown option '--x'", "option '--port' needs a value", "option '--help'
/// takes no value") or a handler's, and returns it; an empty string when there was none.
std::string walk_command_line(const std::vector<std::string>& args,
                              std::span<const option_spec> specs, const option_handler& on_option,
                              const argument_handler& on_argument);

}  // namespace udpecho
