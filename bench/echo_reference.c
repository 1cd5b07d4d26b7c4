/* echo-reference: the yardstick for bench/run. The least a UDP echo server can do: recvmmsg() up
 * to 64 datagrams, answer each with "server send data:" + payload through sendmmsg(). No logging,
 * no checks. It binds 127.0.0.1 (or ::1 with -6) only, prints "listening on HOST:PORT", and exits
 * on SIGTERM or SIGINT.
 *
 * With --epoll it also adds its socket to an epoll set it never waits on, as an event-driven
 * server's socket always is. That alone costs the kernel work for every datagram: each one queued
 * and each reply freed wakes the socket's wait queue, which is empty while a blocking server
 * runs. bench/run measures it, to show how much of the gap to the plain reference is that. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 65536

static const char prefix[] = "server send data:";
static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char** argv) {
  int v6 = 0, in_epoll = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-6") == 0) {
      v6 = 1;
    } else if (strcmp(argv[i], "--epoll") == 0) {
      in_epoll = 1;
    } else {
      fprintf(stderr, "usage: echo-reference [-6] [--epoll]\n");
      return 2;
    }
  }
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_storage local;
  socklen_t local_length = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  memset(&local, 0, sizeof local);
  if (v6) {
    struct sockaddr_in6* a = (struct sockaddr_in6*)&local;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
  } else {
    struct sockaddr_in* a = (struct sockaddr_in*)&local;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  if (fd < 0 || bind(fd, (struct sockaddr*)&local, local_length) != 0 ||
      getsockname(fd, (struct sockaddr*)&local, &local_length) != 0) {
    perror("echo-reference");
    return 1;
  }
  const unsigned port = ntohs(v6 ? ((struct sockaddr_in6*)&local)->sin6_port
                                 : ((struct sockaddr_in*)&local)->sin_port);
  if (in_epoll) {
    struct epoll_event event = {.events = EPOLLIN | EPOLLET, .data = {.fd = fd}};
    const int set = epoll_create1(EPOLL_CLOEXEC);
    if (set < 0 || epoll_ctl(set, EPOLL_CTL_ADD, fd, &event) != 0) {
      perror("echo-reference: epoll");
      return 1;
    }
  }
  printf("listening on %s:%u\n", v6 ? "[::1]" : "127.0.0.1", port);
  fflush(stdout);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal; /* no SA_RESTART: a signal ends the blocking recvmmsg() */
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  char* buffers = malloc((size_t)BATCH * SLOT);
  static struct mmsghdr in[BATCH], out[BATCH];
  static struct iovec in_iov[BATCH], out_iov[BATCH][2];
  static struct sockaddr_storage peers[BATCH];
  if (buffers == NULL) return 1;
  for (int i = 0; i < BATCH; ++i) {
    in_iov[i].iov_base = buffers + (size_t)i * SLOT;
    in_iov[i].iov_len = SLOT;
    in[i].msg_hdr.msg_iov = &in_iov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &peers[i];
    out_iov[i][0].iov_base = (void*)prefix;
    out_iov[i][0].iov_len = sizeof prefix - 1;
    out[i].msg_hdr.msg_iov = out_iov[i];
    out[i].msg_hdr.msg_iovlen = 2;
    out[i].msg_hdr.msg_name = &peers[i];
  }
  while (!stopping) {
    for (int i = 0; i < BATCH; ++i) in[i].msg_hdr.msg_namelen = sizeof peers[i];
    const int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      out_iov[i][1].iov_base = in_iov[i].iov_base;
      out_iov[i][1].iov_len = in[i].msg_len;
      out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    }
    int sent = 0;
    while (sent < n) {
      const int m = sendmmsg(fd, out + sent, (unsigned)(n - sent), 0);
      if (m > 0) {
        sent += m;
      } else if (errno != EINTR) {
        ++sent; /* skip a reply the kernel refuses */
      }
    }
  }
  free(buffers);
  return 0;
}
