// hlp-packet-delay: holds every packet of one netfilter queue for a fixed time, then accepts
// it; the cluster's link delay on kernels built without the netem qdisc.
//
//   hlp-packet-delay --queue N --delay-us D
//
// iptables rules (-j NFQUEUE --queue-num N --queue-bypass) send the packets; this program binds
// the queue through nfnetlink_queue, notes when each packet arrived and releases it D
// microseconds later. The kernel numbers a queue's packets in arrival order, and a batch verdict
// accepts every queued packet up to an id, so releasing in arrival order is one message per
// wake-up. Only metadata crosses to user space (NFQNL_COPY_META), large GSO packets are not
// split, and a full queue lets packets through undelayed (F_FAIL_OPEN) rather than drop them.
//
// Prints "ready queue N delay D us" on stdout once bound; on SIGTERM or SIGINT, the packets
// delayed and the deepest backlog on stderr, then exits 0 (the rules' --queue-bypass lets
// traffic through undelayed once the queue has no listener). Errors: one line on stderr,
// exit 2 for bad arguments, 1 for a netlink failure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kQueueMax = 8192, kRing = 16384, kRecvBytes = 1 << 16 };

struct held {
  uint32_t id;
  int64_t due_ns;
};

static struct held ring[kRing];
static unsigned head, tail;  // ring[head .. tail) are held, in arrival order
static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// One nfnetlink request: header, nfgenmsg, then attributes appended by add_attr.
struct request {
  char buf[256];
  struct nlmsghdr *nlh;
};

static void begin(struct request *r, uint16_t type, uint16_t queue) {
  memset(r->buf, 0, sizeof r->buf);
  r->nlh = (struct nlmsghdr *)r->buf;
  r->nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  r->nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
  r->nlh->nlmsg_flags = NLM_F_REQUEST;
  struct nfgenmsg *g = NLMSG_DATA(r->nlh);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue);
}

static void add_attr(struct request *r, uint16_t type, const void *data, size_t len) {
  struct nlattr *a = (struct nlattr *)(r->buf + NLMSG_ALIGN(r->nlh->nlmsg_len));
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  memcpy((char *)a + NLA_HDRLEN, data, len);
  r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

// Sends a configuration request and waits for its acknowledgement; 0 or the kernel's errno.
static int configure(int fd, struct request *r, uint32_t seq) {
  r->nlh->nlmsg_flags |= NLM_F_ACK;
  r->nlh->nlmsg_seq = seq;
  if (send(fd, r->buf, r->nlh->nlmsg_len, 0) < 0) return errno;
  char reply[4096];
  for (;;) {
    const ssize_t got = recv(fd, reply, sizeof reply, 0);
    if (got < 0) return errno;
    int len = (int)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq) return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static int bind_queue(int fd, uint16_t queue) {
  struct request r;
  struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
  begin(&r, NFQNL_MSG_CONFIG, queue);
  add_attr(&r, NFQA_CFG_CMD, &cmd, sizeof cmd);
  int err = configure(fd, &r, 1);
  if (err != 0) return err;
  struct nfqnl_msg_config_params params = {.copy_range = htonl(0), .copy_mode = NFQNL_COPY_META};
  const uint32_t maxlen = htonl(kQueueMax);
  const uint32_t flags = htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
  begin(&r, NFQNL_MSG_CONFIG, queue);
  add_attr(&r, NFQA_CFG_PARAMS, &params, sizeof params);
  add_attr(&r, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
  add_attr(&r, NFQA_CFG_FLAGS, &flags, sizeof flags);
  add_attr(&r, NFQA_CFG_MASK, &flags, sizeof flags);
  return configure(fd, &r, 2);
}

// Accepts every queued packet up to and including `id`.
static int accept_through(int fd, uint16_t queue, uint32_t id) {
  struct request r;
  struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = htonl(id)};
  begin(&r, NFQNL_MSG_VERDICT_BATCH, queue);
  add_attr(&r, NFQA_VERDICT_HDR, &v, sizeof v);
  return send(fd, r.buf, r.nlh->nlmsg_len, 0) < 0 ? errno : 0;
}

// The packet id of a queued-packet message, or -1 for any other message.
static int64_t packet_id(const struct nlmsghdr *h) {
  if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) return -1;
  const size_t start = NLMSG_ALIGN(sizeof(struct nfgenmsg));
  const char *p = (const char *)NLMSG_DATA(h) + start;
  size_t left = h->nlmsg_len - NLMSG_HDRLEN - start;
  while (left >= NLA_HDRLEN) {
    const struct nlattr *a = (const struct nlattr *)p;
    if (a->nla_len < NLA_HDRLEN || a->nla_len > left) return -1;
    if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR && a->nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
      const struct nfqnl_msg_packet_hdr *ph = (const struct nfqnl_msg_packet_hdr *)(p + NLA_HDRLEN);
      return ntohl(ph->packet_id);
    }
    const size_t step = NLA_ALIGN(a->nla_len);
    if (step >= left) break;
    p += step;
    left -= step;
  }
  return -1;
}

static int parse_u32(const char *s, unsigned long max, unsigned long *out) {
  char *end = NULL;
  errno = 0;
  const unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) return -1;
  *out = v;
  return 0;
}

static int usage(const char *why) {
  fprintf(stderr, "hlp-packet-delay: %s\nusage: hlp-packet-delay --queue N (0..65535) --delay-us D (1..10000000)\n",
          why);
  return 2;
}

int main(int argc, char **argv) {
  unsigned long queue = 0, delay_us = 0;
  int have_queue = 0, have_delay = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 65535, &queue) != 0) return usage("--queue takes a number from 0 to 65535");
      have_queue = 1;
    } else if (strcmp(argv[i], "--delay-us") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 10000000, &delay_us) != 0 || delay_us == 0)
        return usage("--delay-us takes a number from 1 to 10000000");
      have_delay = 1;
    } else {
      return usage("unknown or incomplete argument");
    }
  }
  if (!have_queue || !have_delay) return usage("--queue and --delay-us are required");

  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) {
    fprintf(stderr, "hlp-packet-delay: netlink socket: %s\n", strerror(errno));
    return 1;
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    fprintf(stderr, "hlp-packet-delay: bind: %s\n", strerror(errno));
    return 1;
  }
  // Room for a burst of queued-packet messages; needs CAP_NET_ADMIN, which binding a queue does too.
  const int rcvbuf = 8 << 20, on = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  const int err = bind_queue(fd, (uint16_t)queue);
  if (err != 0) {
    fprintf(stderr, "hlp-packet-delay: binding queue %lu: %s\n", queue, strerror(err));
    return 1;
  }
  // Wake-ups within a few microseconds of the deadline, not the default 50 us slack.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("ready queue %lu delay %lu us\n", queue, delay_us);
  fflush(stdout);

  const int64_t delay_ns = (int64_t)delay_us * 1000;
  static char buf[kRecvBytes];
  unsigned long long delayed = 0;
  unsigned deepest = 0;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (!stopping) {
    int64_t now = now_ns();
    if (head != tail && ring[head % kRing].due_ns <= now) {
      uint32_t last = 0;
      while (head != tail && ring[head % kRing].due_ns <= now) last = ring[head++ % kRing].id;
      const int e = accept_through(fd, (uint16_t)queue, last);
      if (e != 0 && e != EINTR) {
        fprintf(stderr, "hlp-packet-delay: verdict: %s\n", strerror(e));
        return 1;
      }
    }
    struct timespec wait = {1, 0};
    if (head != tail) {
      const int64_t left = ring[head % kRing].due_ns - now;
      wait.tv_sec = left / 1000000000;
      wait.tv_nsec = left % 1000000000;
    }
    const int ready = ppoll(&pfd, 1, &wait, NULL);
    if (ready < 0 && errno != EINTR) {
      fprintf(stderr, "hlp-packet-delay: poll: %s\n", strerror(errno));
      return 1;
    }
    if (ready <= 0) continue;
    now = now_ns();
    for (;;) {
      const ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got < 0) break;  // EAGAIN: drained (ENOBUFS is off; the kernel then lets packets through)
      int len = (int)got;
      for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        const int64_t id = packet_id(h);
        if (id < 0) continue;
        if (tail - head == kRing) {  // cannot happen with the queue capped below the ring
          accept_through(fd, (uint16_t)queue, (uint32_t)id);
          continue;
        }
        ring[tail++ % kRing] = (struct held){(uint32_t)id, now + delay_ns};
        ++delayed;
        if (tail - head > deepest) deepest = tail - head;
      }
    }
  }
  if (head != tail) accept_through(fd, (uint16_t)queue, ring[(tail - 1) % kRing].id);
  fprintf(stderr, "hlp-packet-delay: queue %lu: %llu packets delayed by %lu us, deepest backlog %u\n", queue, delayed,
          delay_us, deepest);
  return 0;
}
