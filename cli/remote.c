/* remote.c: the client of mlgen-serve (runtime-min/serve/, protocol in
 * mlg_serve.h), for `mlgen verify --remote HOST:PORT` (docs/bring-up.md).
 *
 * The program is built for the C target (or Vulkan: its host code, SPIR-V
 * inside) here, with a glue file (templates/serve_glue.c, serve_glue_vk.c),
 * into a shared object by $MLGEN_REMOTE_CC
 * (default $MLGEN_CC, $CC, cc; a cross compiler for a board of another
 * ABI) with $MLGEN_REMOTE_CFLAGS (default -O2), then sent: the device needs
 * no compiler. One connection per run: HELLO (the token), LOAD, INPUT each,
 * RUN, OUTPUT each, BYE. Every failure names the step it happened in; a
 * connection that closes mid-run says that the server was killed or the
 * model crashed it.
 */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../codegen/templates.h"
#include "../runtime-min/serve/mlg_serve.h"
#include "cli.h"

typedef struct {
  int fd;
  const char *where; /* HOST:PORT */
  const char *step;  /* what the client is doing, for messages */
} R;

static const char *step_names[] = {"", "HELLO", "LOAD", "INPUT", "RUN", "OUTPUT", "BYE"};

static int fail(R *r, const char *fmt, const char *detail) {
  fprintf(stderr, "mlgen: --remote %s: ", r->where);
  fprintf(stderr, fmt, r->step, detail ? detail : "");
  fputc('\n', stderr);
  return 3;
}

static int wr(R *r, const void *p, size_t n) {
  const char *s = p;
  while (n) {
    ssize_t k = send(r->fd, s, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    s += k, n -= (size_t)k;
  }
  return 0;
}

/* 0, 1 on EOF, -1 on an error or timeout */
static int rd(R *r, void *p, size_t n) {
  char *s = p;
  while (n) {
    struct pollfd pf = {r->fd, POLLIN, 0};
    int k = poll(&pf, 1, 600 * 1000);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) return -1;
    ssize_t m = recv(r->fd, s, n, 0);
    if (m < 0 && errno == EINTR) continue;
    if (m == 0) return 1;
    if (m < 0) return -1;
    s += m, n -= (size_t)m;
  }
  return 0;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i);
}
static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* one request and its reply (payload malloc'd into *out, at most cap bytes);
 * 0, or an exit code with a message */
static int call(R *r, int type, const void *a, size_t na, const void *b, size_t nb, unsigned char **out, size_t *nout,
                size_t cap) {
  unsigned char h[5];
  r->step = step_names[type];
  put32(h, (uint32_t)(1 + na + nb));
  h[4] = (unsigned char)type;
  if (wr(r, h, 5) || (na && wr(r, a, na)) || (nb && wr(r, b, nb)))
    return fail(r, "the connection broke while sending %s%s (the server closed it: killed, or it refused the frame)",
                NULL);
  int e = rd(r, h, 4);
  if (e) return fail(r, e > 0 ? "the server closed the connection during %s (it was killed, or the model crashed it)"
                              : "no reply to %s (timeout or network error)%s",
                     NULL);
  uint32_t len = get32(h);
  if (len == 0 || len - 1 > cap + 4096) return fail(r, "a malformed reply to %s%s", NULL);
  unsigned char *p = malloc(len);
  if (!p) return fail(r, "out of memory reading the reply to %s%s", NULL);
  if ((e = rd(r, p, len))) {
    free(p);
    return fail(r, "the server closed the connection during %s (it was killed, or the model crashed it)", NULL);
  }
  if (p[0] == MLG_F_ERR) {
    char *msg = calloc(len, 1);
    for (uint32_t i = 0; msg && i + 1 < len; i++) /* the server's text, printable only */
      msg[i] = p[1 + i] >= 32 && p[1 + i] < 127 ? (char)p[1 + i] : '?';
    free(p);
    int rc = fail(r, "the server refused %s: %s", msg ? msg : "?");
    free(msg);
    return rc;
  }
  if (p[0] != (type == MLG_F_OUTPUT ? MLG_F_DATA : MLG_F_OK) || len - 1 > cap) {
    free(p);
    return fail(r, "an unexpected reply to %s%s", NULL);
  }
  *nout = len - 1;
  if (out) {
    memmove(p, p + 1, len - 1);
    *out = p;
  } else {
    free(p);
  }
  return 0;
}

static int dial(R *r, const char *hostport) {
  const char *colon = strrchr(hostport, ':');
  if (!colon || colon == hostport || !colon[1]) {
    fprintf(stderr, "mlgen: --remote takes HOST:PORT, not '%s'\n", hostport);
    return 2;
  }
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)(colon - hostport < 255 ? colon - hostport : 255), hostport);
  if (host[0] == '[' && host[strlen(host) - 1] == ']') memmove(host, host + 1, strlen(host)), host[strlen(host) - 1] = 0;
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host, colon + 1, &hints, &ai);
  if (g) {
    fprintf(stderr, "mlgen: --remote %s: %s\n", hostport, gai_strerror(g));
    return 3;
  }
  int err = 0;
  for (struct addrinfo *p = ai; p; p = p->ai_next) {
    int fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    if (fd >= 0 && !connect(fd, p->ai_addr, p->ai_addrlen)) {
      r->fd = fd;
      break;
    }
    err = errno;
    if (fd >= 0) close(fd);
  }
  freeaddrinfo(ai);
  if (r->fd < 0) {
    fprintf(stderr, "mlgen: --remote %s: cannot connect: %s (is mlgen-serve running there?)\n", hostport, strerror(err));
    return 3;
  }
  return 0;
}

int remote_run(Arena *a, const char *hostport, const char *token, const char *target, Program *p, void **ins,
               void **outs, Diags *d) {
  bool vk = !strcmp(target, "vulkan");
  if (strcmp(target, "c") && !vk) {
    fprintf(stderr, "mlgen: --remote runs the c and vulkan targets (mlgen-serve loads the model as a shared object "
                    "of their host code), not %s\n", target);
    return 2;
  }
  Output o = {0};
  Buf glue = {0}, cmd = {0};
  const char *N = p->name;
  char *NM = arena_strdup(a, N);
  for (char *c = NM; c && *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
  const char *kv[] = {"name", N, "NAME", NM, NULL};
  char dir[64];
  int rc = 1;
  R r = {-1, hostport, ""};
  unsigned char *reply = NULL;
  if (target_find(target)->build(p, &(TargetOpts){.for_run = true}, &o, d) ||
      tmpl_expand(&glue, vk ? "serve_glue_vk.c" : "serve_glue.c", kv, d))
    goto out;
  rc = 3;
  if (cli_run_stage(a, "remote", &o, vk ? "vulkan/glue.c" : "glue.c", &glue, dir)) goto out;
  const char *cc = getenv("MLGEN_REMOTE_CC") ? getenv("MLGEN_REMOTE_CC") : cli_cc();
  const char *cflags = getenv("MLGEN_REMOTE_CFLAGS") ? getenv("MLGEN_REMOTE_CFLAGS") : "-O2";
  if (vk)
    buf_printf(&cmd, "%s -std=c99 %s -shared -fPIC -o %s/model.so %s/vulkan/glue.c %s/vulkan/%s_vk.c %s/vulkan/mlg_vk.c -lvulkan",
               cc, cflags, dir, dir, dir, N, dir);
  else
    buf_printf(&cmd, "%s -std=c99 %s -shared -fPIC -o %s/model.so %s/glue.c %s/%s.c %s/%s_weights.c -lm", cc, cflags,
               dir, dir, dir, N, dir, N);
  if (system(cmd.s)) {
    fprintf(stderr, "mlgen: --remote: the C compiler failed building the shared object (kept in %s)\n", dir);
    goto out;
  }
  size_t nso = 0, nr = 0;
  char *tok = NULL;
  size_t ntok = 0;
  if (token && !(tok = cli_slurp(a, token, &ntok))) {
    fprintf(stderr, "mlgen: --token %s: cannot read it\n", token);
    goto out;
  }
  while (ntok && (tok[ntok - 1] == '\n' || tok[ntok - 1] == '\r')) ntok--;
  char *sob = cli_slurp(a, arena_printf(a, "%s/model.so", dir), &nso);
  if (!sob) goto out;
  if ((rc = dial(&r, hostport))) goto out;
  if ((rc = call(&r, MLG_F_HELLO, tok, ntok, NULL, 0, NULL, &nr, 0))) goto out;
  if ((rc = call(&r, MLG_F_LOAD, sob, nso, NULL, 0, &reply, &nr, 8 + 8 * 8192))) goto out;
  rc = 3;
  if (nr < 8 || get32(reply) != (uint32_t)p->inputs.n || get32(reply + 4) != (uint32_t)p->outputs.n ||
      nr != 8 + 8 * (size_t)(p->inputs.n + p->outputs.n)) {
    r.step = "LOAD";
    fail(&r, "%s: the server's model does not match this one: %s", "inputs or outputs differ");
    goto out;
  }
  free(reply), reply = NULL;
  for (int i = 0; i < p->inputs.n; i++) {
    unsigned char ix[4];
    put32(ix, (uint32_t)i);
    if ((rc = call(&r, MLG_F_INPUT, ix, 4, ins[i], cli_value_bytes(p->inputs.v[i]), NULL, &nr, 0))) goto out;
  }
  if ((rc = call(&r, MLG_F_RUN, NULL, 0, NULL, 0, &reply, &nr, 4))) goto out;
  rc = 3;
  if (nr != 4 || get32(reply)) {
    r.step = "RUN";
    fail(&r, "%s: the model returned an error status on the device%s", "");
    goto out;
  }
  for (int i = 0; i < p->outputs.n; i++) {
    unsigned char ix[4], *data = NULL;
    size_t want = cli_value_bytes(p->outputs.v[i]);
    put32(ix, (uint32_t)i);
    if ((rc = call(&r, MLG_F_OUTPUT, ix, 4, NULL, 0, &data, &nr, want))) goto out;
    rc = 3;
    if (nr != want) {
      free(data);
      r.step = "OUTPUT";
      fail(&r, "%s: an output of the wrong size%s", "");
      goto out;
    }
    memcpy(outs[i], data, want);
    free(data);
  }
  if ((rc = call(&r, MLG_F_BYE, NULL, 0, NULL, 0, NULL, &nr, 0))) goto out;
  rc = 0;
  remove_tree(dir);
out:
  if (r.fd >= 0) close(r.fd);
  free(reply);
  buf_free(&glue);
  buf_free(&cmd);
  out_free(&o);
  return rc;
}
