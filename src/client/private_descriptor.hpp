// A descriptor of our own for the file behind a shared one, for the event loop to wait on.
#pragma once

namespace udpecho {

/// Opens the terminal behind descriptor `fd` anew, as a new open file description, and returns
/// the new descriptor, or -1 when `fd` is not a terminal or it cannot be opened. (Pipes are not
/// reopened: a reader that opens a pipe after its writer has gone never sees the end of it.)
///
/// Asio makes every descriptor it waits on non-blocking. O_NONBLOCK belongs to the open file
/// description, and on a terminal standard input, output and error share one: a non-blocking
/// stdin would make writes to stdout fail with EAGAIN, and the shell would inherit the flag.
/// Waiting on a private description of the same file leaves the shared one alone.
int open_private_descriptor(int fd);

}  // namespace udpecho
