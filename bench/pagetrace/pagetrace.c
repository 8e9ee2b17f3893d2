// pagetrace: an LD_PRELOAD shim for the page-count benchmark (bench/pages.sh). It logs every
// pread/pwrite a process makes on one SQLite database file and its WAL (PAGETRACE_DB names the
// database; PAGETRACE_OUT the log), with the thread that made it, so bench/pages.py can count WAL
// frames and page reads per B-tree, and commits per thread. SQLite's unix VFS writes a WAL frame
// as two pwrites (its 24-byte header, then the page), so the header's page number and commit
// size are logged with the write. Measuring only: nothing in the product loads it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

// One logged access. kind: 'R' read or 'W' write; file: 0 the database, 1 its WAL.
struct rec {
  uint8_t kind, file;
  uint16_t pad;
  uint32_t tid;
  uint64_t off;
  uint32_t len;
  uint32_t pgno;   // a WAL frame header's page number (big-endian in the file)
  uint32_t commit; // a WAL frame header's database size: non-zero on a commit frame
  uint32_t pad2;
};

#define MAXFD 4096
static uint8_t fd_kind[MAXFD]; // 0 untracked, 1 database, 2 WAL
static const char *db_path;
static size_t db_len;
static int out_fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec buf[8192];
static size_t used;
static uint32_t named[1024];
static size_t n_named;

static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);

__attribute__((constructor)) static void init(void) {
  real_pread = dlsym(RTLD_NEXT, "pread64");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite64");
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_close = dlsym(RTLD_NEXT, "close");
  db_path = getenv("PAGETRACE_DB");
  const char *out = getenv("PAGETRACE_OUT");
  if (db_path && out) {
    db_len = strlen(db_path);
    out_fd = real_open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  }
}

static void flush_locked(void) {
  if (used && out_fd >= 0) {
    ssize_t n = write(out_fd, buf, used * sizeof buf[0]);
    (void)n;
  }
  used = 0;
}

__attribute__((destructor)) static void fini(void) {
  pthread_mutex_lock(&lock);
  flush_locked();
  pthread_mutex_unlock(&lock);
}

// A thread's name, once per thread, as a text line "N tid name" in the same log (kind 'N').
static void name_thread_locked(uint32_t tid) {
  for (size_t i = 0; i < n_named; i++)
    if (named[i] == tid) return;
  if (n_named < 1024) named[n_named++] = tid;
  char path[64], name[32] = {0};
  snprintf(path, sizeof path, "/proc/self/task/%u/comm", tid);
  int fd = real_open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, name, sizeof name - 1);
    real_close(fd);
    if (n > 0 && name[n - 1] == '\n') name[n - 1] = 0;
  }
  struct rec r = {.kind = 'N', .tid = tid};
  memcpy(&r.off, name, 8);
  memcpy(&r.len, name + 8, 4);
  memcpy(&r.pgno, name + 12, 4);
  if (used == sizeof buf / sizeof buf[0]) flush_locked();
  buf[used++] = r;
}

static void log_access(uint8_t kind, int fd, const void *data, size_t len, off_t off) {
  if (fd < 0 || fd >= MAXFD || !fd_kind[fd] || out_fd < 0) return;
  struct rec r = {.kind = kind, .file = fd_kind[fd] - 1, .off = (uint64_t)off, .len = (uint32_t)len};
  r.tid = (uint32_t)syscall(SYS_gettid);
  if (kind == 'W' && r.file == 1 && len == 24) {
    const uint8_t *b = data;
    r.pgno = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    r.commit = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
  }
  pthread_mutex_lock(&lock);
  name_thread_locked(r.tid);
  if (used == sizeof buf / sizeof buf[0]) flush_locked();
  buf[used++] = r;
  pthread_mutex_unlock(&lock);
}

static void track(int fd, const char *path) {
  if (fd < 0 || fd >= MAXFD || !db_path || !path) return;
  size_t n = strlen(path);
  if (n == db_len && memcmp(path, db_path, n) == 0)
    fd_kind[fd] = 1;
  else if (n == db_len + 4 && memcmp(path, db_path, db_len) == 0 && memcmp(path + db_len, "-wal", 4) == 0)
    fd_kind[fd] = 2;
  else
    fd_kind[fd] = 0;
}

ssize_t pread64(int fd, void *b, size_t n, off_t off) {
  ssize_t r = real_pread(fd, b, n, off);
  log_access('R', fd, b, n, off);
  return r;
}
ssize_t pread(int fd, void *b, size_t n, off_t off) { return pread64(fd, b, n, off); }
ssize_t pwrite64(int fd, const void *b, size_t n, off_t off) {
  log_access('W', fd, b, n, off);
  return real_pwrite(fd, b, n, off);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t off) { return pwrite64(fd, b, n, off); }

#define OPEN_BODY(call)                    \
  mode_t mode = 0;                         \
  if (flags & (O_CREAT | O_TMPFILE)) {     \
    va_list ap;                            \
    va_start(ap, flags);                   \
    mode = va_arg(ap, int);                \
    va_end(ap);                            \
  }                                        \
  int fd = call;                           \
  track(fd, path);                         \
  return fd;

int open(const char *path, int flags, ...) { OPEN_BODY(real_open(path, flags, mode)) }
int open64(const char *path, int flags, ...) { OPEN_BODY(real_open64(path, flags, mode)) }
int openat(int dir, const char *path, int flags, ...) { OPEN_BODY(real_openat(dir, path, flags, mode)) }
int close(int fd) {
  if (fd >= 0 && fd < MAXFD) fd_kind[fd] = 0;
  return real_close(fd);
}
