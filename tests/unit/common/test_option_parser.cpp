#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/option_parser.hpp"

using namespace udpecho;

namespace {
constexpr option_spec specs[] = {{"port", 'p', true}, {"", '4', false}, {"help", 'h', false}};

struct walk {
  std::vector<std::string> seen;
  std::string error;
};

walk run(const std::vector<std::string>& args) {
  walk w;
  w.error = walk_command_line(
      args, specs,
      [&](const option_spec& spec, const std::string& value) {
        w.seen.push_back(option_name(spec) + "=" + value);
        return std::string();
      },
      [&](const std::string& argument) {
        w.seen.push_back(argument);
        return std::string();
      });
  return w;
}
}  // namespace

TEST_CASE("every spelling of a value and of a flag") {
  const auto w = run({"--port", "1", "--port=2", "-p", "3", "-p4", "-4", "--help", "x"});
  CHECK(w.error.empty());
  CHECK(w.seen == std::vector<std::string>{"--port=1", "--port=2", "--port=3", "--port=4",
                                           "-4=", "--help=", "x"});
}

TEST_CASE("-- ends the options") {
  CHECK(run({"--", "-4", "--port"}).seen == std::vector<std::string>{"-4", "--port"});
}

TEST_CASE("the walk's own errors, and the first error wins") {
  CHECK(run({"--nope"}).error == "unknown option '--nope'");
  CHECK(run({"-4x"}).error == "unknown option '-4x'");
  CHECK(run({"--port"}).error == "option '--port' needs a value");
  CHECK(run({"--help=1"}).error == "option '--help' takes no value");
  const auto stopped = walk_command_line(
      {"a", "b"}, specs, [](const option_spec&, const std::string&) { return std::string(); },
      [](const std::string& argument) { return "no " + argument; });
  CHECK(stopped == "no a");
}
