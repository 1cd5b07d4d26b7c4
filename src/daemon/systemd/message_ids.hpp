// The MESSAGE_ID of each udpechod event in the journal: fixed forever, generated once with
// `systemd-id128 new`. systemd/udpechod.catalog explains each one (`journalctl -x`); admins'
// filters (`journalctl MESSAGE_ID=...`) rely on them, so an id is never changed or reused.
#pragma once

#include <string_view>

namespace udpecho::message_ids {

inline constexpr std::string_view start = "735a3accacd3481d86d2b00658f92260";
inline constexpr std::string_view ready = "e294327e145341629e3967cabdfb8d79";
inline constexpr std::string_view reload = "90b3d5e58c3a4e159ceea1a872b22bb4";
inline constexpr std::string_view reload_failed = "249af5eb46bb465681ba07d134fd81a3";
inline constexpr std::string_view stop = "5a7de8087618446ab77858efbcc6f6de";
inline constexpr std::string_view drop = "f57f763e52f84fbd88b430f2d04b8f4a";
inline constexpr std::string_view rate_limit_start = "9506186ac903421088af99fdb8aadb74";
inline constexpr std::string_view rate_limit_stop = "4907fa257222467ab0f4b892e7fdc23b";
inline constexpr std::string_view log_suppressed = "e1ae5b7f2473409c9f0298b160ca24e2";

}  // namespace udpecho::message_ids
