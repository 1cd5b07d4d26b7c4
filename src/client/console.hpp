// Where udpecho's lines go. Results go to standard output, progress notes (retries) to standard
// error; on a terminal both must be printed above the prompt and the line being typed.
#pragma once

#include <string_view>

namespace udpecho {

class console {
 public:
  virtual ~console() = default;
  /// Prints a result: a reply, or what became of a line or probe.
  virtual void result(std::string_view line) = 0;
  /// Prints a progress note, such as a retry.
  virtual void note(std::string_view line) = 0;
};

/// A console on plain streams (piped input and probe mode): each line is flushed at once, so that
/// results and notes keep their order when both go to one file.
class stream_console final : public console {
 public:
  void result(std::string_view line) override;
  void note(std::string_view line) override;
};

}  // namespace udpecho
