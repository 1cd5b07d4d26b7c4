/* A test-only LD_PRELOAD shim: the first sendmmsg() of 4 or more replies sends only the first half
 * and returns that count; the next call fails with EAGAIN. Everything after is passed through.
 * This is the partial-send-then-full-buffer sequence a loaded socket produces, made
 * deterministic, so a test can prove that udpechod loses no reply on that path. The shim says
 * what it did on stderr, which the test reads, so the test cannot pass without it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*sendmmsg_fn)(int, struct mmsghdr*, unsigned int, int);

static int stage; /* 0: waiting for a batch, 1: the EAGAIN is due, 2: done */

int sendmmsg(int fd, struct mmsghdr* messages, unsigned int count, int flags) {
  static sendmmsg_fn real;
  if (real == NULL) {
    /* POSIX guarantees dlsym()'s pointer converts to a function pointer; ISO C does not. */
    void* symbol = dlsym(RTLD_NEXT, "sendmmsg");
    memcpy(&real, &symbol, sizeof real);
  }
  if (stage == 0 && count >= 4) {
    const int sent = real(fd, messages, count / 2, flags);
    if (sent > 0) {
      stage = 1;
      fprintf(stderr, "partial_sendmmsg shim: sent %d of %u replies\n", sent, count);
    }
    return sent;
  }
  if (stage == 1) {
    stage = 2;
    fprintf(stderr, "partial_sendmmsg shim: EAGAIN for the remaining %u\n", count);
    errno = EAGAIN;
    return -1;
  }
  return real(fd, messages, count, flags);
}
