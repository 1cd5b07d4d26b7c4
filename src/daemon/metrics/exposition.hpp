// A metrics_snapshot in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <string>
#include <string_view>

#include "daemon/metrics/metrics_snapshot.hpp"

namespace udpecho {

/// The Content-Type of render_exposition()'s text.
inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

/// Every udpechod_ metric family of `snapshot`, with HELP and TYPE lines, written by
/// prometheus-cpp's serializer. Labels take only fixed values, so the text stays the same size
/// whatever peers send.
std::string render_exposition(const metrics_snapshot& snapshot);

}  // namespace udpecho
