/* mlgen_serve.c: mlgen-serve, the device side of `mlgen verify --remote`
 * (docs/bring-up.md). One C file over POSIX sockets and dlopen, with no
 * part of mlgen in it, so it builds for a board with its own compiler or a
 * cross compiler:  cc -std=c11 -O2 -o mlgen-serve mlgen_serve.c -ldl
 *
 *   mlgen-serve [--listen ADDR] [--port N] [--work DIR] [--token FILE]
 *               [--max-frame BYTES] [--max-total BYTES] [--idle SECONDS] [--max-clients N]
 *
 * It listens on 127.0.0.1 unless --listen says otherwise (port 7787; 0: a
 * free one), prints "mlgen-serve: listening on ADDR:PORT" and serves each
 * connection in a process of its own (a model that crashes takes only its
 * connection down; the children die with the server). The protocol is in
 * mlg_serve.h: after HELLO (the shared token, when --token is given) the
 * client sends a model built for the C target as a shared object, writes
 * its inputs, runs it and reads its outputs.
 *
 * Loading a shared object runs the client's code: it is meant for a device
 * on a bench, reached by whoever holds the token. Limits that keep a wrong
 * or hostile peer cheap: frames over --max-frame (default 256 MiB) and
 * sessions over --max-total bytes in all (default 1 GiB) are refused, a peer
 * silent for --idle seconds (default 60) is dropped, at most --max-clients
 * (default 8) connections at once. The only file it writes is each
 * session's shared object, under a name it makes, in the work folder (made
 * 0700 when missing; default a new /tmp/mlgen-serve-XXXXXX), removed once
 * loaded. Test-only: MLGEN_TEST_SERVE_STALL=SECONDS sleeps before each RUN.
 */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "mlg_serve.h"

typedef struct {
  const char *listen, *work, *token_file;
  int port, idle, max_clients;
  unsigned long long max_frame, max_total;
  char *token;
  size_t token_len;
} Cfg;

static volatile sig_atomic_t stop;
static void on_stop(int s) {
  (void)s;
  stop = 1;
}

/* ------------------------------------------------------------- frames */
typedef struct {
  int fd;
  const Cfg *cfg;
  unsigned long long total;
} Conn;

/* n bytes, or -1 on EOF, error or an idle peer */
static int read_full(Conn *c, void *p, size_t n) {
  char *s = p;
  while (n) {
    struct pollfd pf = {c->fd, POLLIN, 0};
    int r = poll(&pf, 1, c->cfg->idle * 1000);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t k = recv(c->fd, s, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    s += k, n -= (size_t)k;
  }
  return 0;
}

static int write_full(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n) {
    ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    s += k, n -= (size_t)k;
  }
  return 0;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i);
}
static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int send_frame(int fd, int type, const void *a, size_t na, const void *b, size_t nb) {
  unsigned char h[5];
  put32(h, (uint32_t)(1 + na + nb));
  h[4] = (unsigned char)type;
  return write_full(fd, h, 5) || (na && write_full(fd, a, na)) || (nb && write_full(fd, b, nb)) ? -1 : 0;
}

static int send_err(int fd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  send_frame(fd, MLG_F_ERR, msg, strlen(msg), NULL, 0);
  return -1;
}

/* ------------------------------------------------------------ session */
typedef struct {
  void *so;
  int nin, nout;
  long long *inb, *outb;
  void **in, **out;
  char *have; /* inputs written */
  void *arena;
  int (*run)(const void *const *, void *const *, void *);
  int ran;
} Model;

static void model_free(Model *m) {
  for (int i = 0; m->in && i < m->nin; i++) free(m->in[i]);
  for (int i = 0; m->out && i < m->nout; i++) free(m->out[i]);
  free(m->in), free(m->out), free(m->inb), free(m->outb), free(m->have), free(m->arena);
  if (m->so) dlclose(m->so);
  memset(m, 0, sizeof *m);
}

static int load(Conn *c, Model *m, const unsigned char *so, size_t n) {
  static int seq;
  char path[4096];
  snprintf(path, sizeof path, "%s/model-%ld-%d.so", c->cfg->work, (long)getpid(), seq++);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0700);
  if (fd < 0) return send_err(c->fd, "LOAD: cannot write in the work folder: %s", strerror(errno));
  size_t off = 0;
  while (off < n) {
    ssize_t k = write(fd, so + off, n - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    off += (size_t)k;
  }
  int bad = close(fd) || off != n;
  if (!bad) m->so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  unlink(path);
  if (bad) return send_err(c->fd, "LOAD: cannot write in the work folder");
  if (!m->so) return send_err(c->fd, "LOAD: not a loadable shared object: %s", dlerror());
  int (*nin)(void), (*nout)(void);
  long long (*inb)(int), (*outb)(int), (*arena)(void);
  /* dlsym's object pointer into function pointers, by bytes (ISO C has no cast between them) */
  void *sym[6] = {dlsym(m->so, MLG_SERVE_SYM_NIN), dlsym(m->so, MLG_SERVE_SYM_NOUT), dlsym(m->so, MLG_SERVE_SYM_IN),
                  dlsym(m->so, MLG_SERVE_SYM_OUT), dlsym(m->so, MLG_SERVE_SYM_ARENA), dlsym(m->so, MLG_SERVE_SYM_RUN)};
  memcpy(&nin, &sym[0], sizeof nin);
  memcpy(&nout, &sym[1], sizeof nout);
  memcpy(&inb, &sym[2], sizeof inb);
  memcpy(&outb, &sym[3], sizeof outb);
  memcpy(&arena, &sym[4], sizeof arena);
  memcpy(&m->run, &sym[5], sizeof m->run);
  if (!sym[0] || !sym[1] || !sym[2] || !sym[3] || !sym[4] || !sym[5])
    return send_err(c->fd, "LOAD: the shared object lacks the mlg_serve_* entry points");
  m->nin = nin(), m->nout = nout();
  if (m->nin < 0 || m->nout < 0 || m->nin > 4096 || m->nout > 4096)
    return send_err(c->fd, "LOAD: %d inputs, %d outputs", m->nin, m->nout);
  m->inb = calloc((size_t)m->nin + 1, sizeof *m->inb), m->outb = calloc((size_t)m->nout + 1, sizeof *m->outb);
  m->in = calloc((size_t)m->nin + 1, sizeof *m->in), m->out = calloc((size_t)m->nout + 1, sizeof *m->out);
  m->have = calloc((size_t)m->nin + 1, 1);
  long long sum = arena();
  size_t rn = 8 + 8 * (size_t)(m->nin + m->nout);
  unsigned char *reply = malloc(rn);
  if (!m->inb || !m->outb || !m->in || !m->out || !m->have || !reply) {
    free(reply);
    return send_err(c->fd, "LOAD: out of memory");
  }
  put32(reply, (uint32_t)m->nin), put32(reply + 4, (uint32_t)m->nout);
  for (int i = 0; i < m->nin + m->nout; i++) {
    long long b = i < m->nin ? (m->inb[i] = inb(i)) : (m->outb[i - m->nin] = outb(i - m->nin));
    if (b < 0 || (unsigned long long)b > c->cfg->max_total) {
      free(reply);
      return send_err(c->fd, "LOAD: a tensor of %lld bytes is over the session cap", b);
    }
    sum += b;
    put32(reply + 8 + 8 * i, (uint32_t)b), put32(reply + 12 + 8 * i, (uint32_t)((unsigned long long)b >> 32));
  }
  if (sum < 0 || (unsigned long long)sum > c->cfg->max_total) {
    free(reply);
    return send_err(c->fd, "LOAD: the model needs %lld bytes, over the session cap", sum);
  }
  long long asz = arena();
  if (posix_memalign(&m->arena, 64, (size_t)(asz > 0 ? asz : 64))) m->arena = NULL;
  for (int i = 0; i < m->nin; i++) m->in[i] = malloc((size_t)(m->inb[i] ? m->inb[i] : 1));
  for (int i = 0; i < m->nout; i++) m->out[i] = calloc(1, (size_t)(m->outb[i] ? m->outb[i] : 1));
  int oom = !m->arena;
  for (int i = 0; i < m->nin; i++) oom |= !m->in[i];
  for (int i = 0; i < m->nout; i++) oom |= !m->out[i];
  int rc = oom ? send_err(c->fd, "LOAD: out of memory") : send_frame(c->fd, MLG_F_OK, reply, rn, NULL, 0);
  free(reply);
  return rc;
}

static int serve(Conn *c) {
  Model m = {0};
  int hello = 0, rc = -1;
  unsigned char *buf = NULL;
  for (;;) {
    unsigned char h[5];
    if (read_full(c, h, 4)) goto done; /* EOF, error or idle: just close */
    uint32_t len = get32(h);
    if (len == 0 || len > c->cfg->max_frame + 1) {
      send_err(c->fd, "frame of %lu bytes: over the cap of %llu bytes (or empty)", (unsigned long)len,
               c->cfg->max_frame);
      goto done;
    }
    c->total += len;
    if (c->total > c->cfg->max_total) {
      send_err(c->fd, "session over its cap of %llu bytes", c->cfg->max_total);
      goto done;
    }
    free(buf);
    if (!(buf = malloc(len)) || read_full(c, buf, len)) goto done;
    int type = buf[0];
    const unsigned char *pl = buf + 1;
    size_t n = len - 1;
    if (!hello && type != MLG_F_HELLO) {
      send_err(c->fd, "HELLO must come first (got frame type %d)", type);
      goto done;
    }
    switch (type) {
    case MLG_F_HELLO: {
      if (hello) {
        send_err(c->fd, "HELLO twice");
        goto done;
      }
      unsigned diff = (unsigned)(n != c->cfg->token_len);
      for (size_t i = 0; i < n && c->cfg->token; i++) diff |= pl[i] ^ (unsigned char)c->cfg->token[i % c->cfg->token_len];
      if (c->cfg->token && diff) {
        sleep(1); /* a guess costs a second */
        send_err(c->fd, "wrong token");
        goto done;
      }
      hello = 1;
      if (send_frame(c->fd, MLG_F_OK, NULL, 0, NULL, 0)) goto done;
      break;
    }
    case MLG_F_LOAD:
      if (m.so) {
        send_err(c->fd, "LOAD twice");
        goto done;
      }
      if (load(c, &m, pl, n)) goto done;
      break;
    case MLG_F_INPUT: {
      uint32_t i = n >= 4 ? get32(pl) : 0;
      if (!m.so || n < 4 || i >= (uint32_t)m.nin || n - 4 != (size_t)m.inb[i]) {
        send_err(c->fd, !m.so ? "INPUT before LOAD" : "INPUT: bad index or size");
        goto done;
      }
      memcpy(m.in[i], pl + 4, n - 4);
      m.have[i] = 1;
      if (send_frame(c->fd, MLG_F_OK, NULL, 0, NULL, 0)) goto done;
      break;
    }
    case MLG_F_RUN: {
      int all = m.so && n == 0;
      for (int i = 0; all && i < m.nin; i++) all = m.have[i];
      if (!all) {
        send_err(c->fd, !m.so ? "RUN before LOAD" : n ? "RUN takes no payload" : "RUN before every INPUT");
        goto done;
      }
      const char *stall = getenv("MLGEN_TEST_SERVE_STALL");
      if (stall && atoi(stall) > 0) sleep((unsigned)atoi(stall));
      int32_t st = m.run((const void *const *)m.in, m.out, m.arena);
      unsigned char s4[4];
      put32(s4, (uint32_t)st);
      m.ran = 1;
      if (send_frame(c->fd, MLG_F_OK, s4, 4, NULL, 0)) goto done;
      break;
    }
    case MLG_F_OUTPUT: {
      uint32_t i = n == 4 ? get32(pl) : 0;
      if (!m.ran || n != 4 || i >= (uint32_t)m.nout) {
        send_err(c->fd, !m.ran ? "OUTPUT before RUN" : "OUTPUT: bad index");
        goto done;
      }
      if (send_frame(c->fd, MLG_F_DATA, m.out[i], (size_t)m.outb[i], NULL, 0)) goto done;
      break;
    }
    case MLG_F_BYE:
      send_frame(c->fd, MLG_F_OK, NULL, 0, NULL, 0);
      rc = 0;
      goto done;
    default:
      send_err(c->fd, "unknown frame type %d", type);
      goto done;
    }
  }
done:
  free(buf);
  model_free(&m);
  return rc;
}

/* --------------------------------------------------------------- main */
static int usage(const char *why) {
  fprintf(stderr,
          "mlgen-serve: %s\nusage: mlgen-serve [--listen ADDR] [--port N] [--work DIR] [--token FILE]\n"
          "                   [--max-frame BYTES] [--max-total BYTES] [--idle SECONDS] [--max-clients N]\n",
          why);
  return 2;
}

static int read_token(Cfg *c) {
  FILE *f = fopen(c->token_file, "rb");
  if (!f) return -1;
  char b[4096];
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  while (n && (b[n - 1] == '\n' || b[n - 1] == '\r')) n--;
  if (!n || !(c->token = malloc(n))) return -1;
  memcpy(c->token, b, n);
  c->token_len = n;
  return 0;
}

int main(int argc, char **argv) {
  Cfg cfg = {"127.0.0.1", NULL, NULL, MLG_SERVE_PORT, 60, 8, 256ull << 20, 1ull << 30, NULL, 0};
  for (int i = 1; i < argc; i += 2) {
    const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
      usage("the device side of mlgen verify --remote (docs/bring-up.md)");
      return 0;
    }
    if (!v) return usage("an option without its value, or an unknown argument");
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    int num = *v && !*end;
    if (!strcmp(s, "--listen")) cfg.listen = v;
    else if (!strcmp(s, "--work")) cfg.work = v;
    else if (!strcmp(s, "--token")) cfg.token_file = v;
    else if (!strcmp(s, "--port") && num && x < 65536) cfg.port = (int)x;
    else if (!strcmp(s, "--idle") && num && x > 0 && x < 86400) cfg.idle = (int)x;
    else if (!strcmp(s, "--max-clients") && num && x > 0 && x < 1024) cfg.max_clients = (int)x;
    else if (!strcmp(s, "--max-frame") && num && x > 0 && x < 0xFFFFFFF0ull) cfg.max_frame = x;
    else if (!strcmp(s, "--max-total") && num && x > 0) cfg.max_total = x;
    else return usage("bad option or value");
  }
  if (cfg.token_file && read_token(&cfg)) {
    fprintf(stderr, "mlgen-serve: --token %s: cannot read a non-empty token\n", cfg.token_file);
    return 2;
  }
  char made[64] = "";
  if (!cfg.work) {
    snprintf(made, sizeof made, "/tmp/mlgen-serve-XXXXXX");
    if (!mkdtemp(made)) {
      fprintf(stderr, "mlgen-serve: cannot make a work folder: %s\n", strerror(errno));
      return 3;
    }
    cfg.work = made;
  } else if (mkdir(cfg.work, 0700) && errno != EEXIST) {
    fprintf(stderr, "mlgen-serve: --work %s: %s\n", cfg.work, strerror(errno));
    return 3;
  }
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char port[16];
  snprintf(port, sizeof port, "%d", cfg.port);
  int gai = getaddrinfo(cfg.listen, port, &hints, &ai);
  if (gai) {
    fprintf(stderr, "mlgen-serve: --listen %s: %s\n", cfg.listen, gai_strerror(gai));
    return 2;
  }
  int ls = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls < 0 || bind(ls, ai->ai_addr, ai->ai_addrlen) || listen(ls, 16)) {
    fprintf(stderr, "mlgen-serve: cannot listen on %s:%d: %s\n", cfg.listen, cfg.port, strerror(errno));
    freeaddrinfo(ai);
    return 3;
  }
  freeaddrinfo(ai);
  struct sockaddr_storage sa;
  socklen_t sl = sizeof sa;
  char host[256] = "?";
  int bound = cfg.port;
  if (!getsockname(ls, (struct sockaddr *)&sa, &sl)) {
    getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    bound = atoi(port);
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction st = {0};
  st.sa_handler = on_stop;
  sigaction(SIGINT, &st, NULL);
  sigaction(SIGTERM, &st, NULL);
  printf("mlgen-serve: listening on %s:%d (work folder %s%s)\n", host, bound, cfg.work, cfg.token ? ", token required" : "");
  fflush(stdout);
  int active = 0;
  while (!stop) {
    while (waitpid(-1, NULL, WNOHANG) > 0) active--;
    struct pollfd pf = {ls, POLLIN, 0};
    if (poll(&pf, 1, 500) <= 0) continue;
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) continue;
    if (active >= cfg.max_clients) {
      send_err(fd, "busy: %d connections already", active);
      close(fd);
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
#ifdef __linux__
      prctl(PR_SET_PDEATHSIG, SIGKILL); /* the server killed: its sessions end */
#endif
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      close(ls);
      Conn c = {fd, &cfg, 0};
      int rc = serve(&c);
      close(fd);
      _exit(rc ? 1 : 0);
    }
    if (pid > 0) active++;
    close(fd);
  }
  close(ls);
  while (active > 0 && wait(NULL) > 0) active--;
  if (*made) rmdir(made);
  free(cfg.token);
  return 0;
}
