// The bytes of a numbered probe, and finding the probe a reply answers. A probe carries its run's
// tag and its number, so a reply can be paired whatever the server puts before the payload, and a
// stray reply from an earlier run is not counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udpecho {

/// Probe `sequence` of run `run_tag` (8 characters), padded with '.' to `size` bytes:
/// "udpecho probe 1a2b3c4d #17 ......". `size` must be at least min_probe_size.
std::string make_probe_payload(std::string_view run_tag, std::uint64_t sequence, std::size_t size);

/// The sequence number of the probe `reply` ends with, if it ends with one of this run's probes
/// of this size.
std::optional<std::uint64_t> probe_sequence(std::string_view reply, std::string_view run_tag,
                                            std::size_t size);

/// A random tag for a run: 8 lowercase hex digits.
std::string make_run_tag();

}  // namespace udpecho
