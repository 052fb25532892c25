/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record destinations: an append-only file, a Unix datagram socket, the
 * local syslog socket. Every socket operation is non-blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sl_flowrec.h"

#define SYSLOG_PATH "/dev/log"
#define SYSLOG_IDENT "sluice"
#define FILE_MODE 0640

/* "<191>Nov 14 22:13:20 sluice[4194304]: " */
#define SYSLOG_HDR_MAX 64

struct sl_sink {
	enum sl_sink_kind kind;
	int fd;                  /* file or socket; -1 when none */
	bool connected;          /* sockets: connect() succeeded */
	bool partial;            /* file: the last write left a partial line */
	int facility;            /* syslog */
	struct sockaddr_un addr; /* sockets */
	char *path;              /* file or socket path (owned) */
};

static const char *const kind_names[SL_SINK_KIND_MAX] = {
	[SL_SINK_FILE] = "file",
	[SL_SINK_UNIX_DGRAM] = "unix-dgram",
	[SL_SINK_SYSLOG] = "syslog",
};

const char *
sl_sink_kind_name(enum sl_sink_kind k)
{
	return (unsigned int)k < SL_SINK_KIND_MAX ? kind_names[k] : NULL;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
is_socket(const struct sl_sink *s)
{
	return s->kind == SL_SINK_UNIX_DGRAM || s->kind == SL_SINK_SYSLOG;
}

static int
file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, FILE_MODE);

	return fd < 0 ? -errno : fd;
}

/* Connect s->fd to s->addr. 0, or -errno (s->connected false). */
static int
sock_connect(struct sl_sink *s)
{
	int rc;

	do {
		rc = connect(s->fd, (const struct sockaddr *)&s->addr, sizeof(s->addr));
	} while (rc != 0 && errno == EINTR);
	s->connected = rc == 0;
	return rc == 0 ? 0 : -errno;
}

/* Absent peer: not (yet) an error, writes retry. */
static bool
peer_absent(int rc)
{
	return rc == -ENOENT || rc == -ECONNREFUSED;
}

/* A new socket in s->fd (closing the old one) and a first connect attempt. */
static int
sock_open(struct sl_sink *s)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	rc = sock_connect(s);
	return peer_absent(rc) ? 0 : rc;
}

int
sl_sink_open(enum sl_sink_kind kind, const char *path, int facility, struct sl_sink **out,
	     char *err, size_t errlen)
{
	struct sl_sink *s;
	const char *p = path;
	int rc;

	if (out == NULL) {
		set_err(err, errlen, "no output pointer");
		return -EINVAL;
	}
	*out = NULL;
	if ((unsigned int)kind >= SL_SINK_KIND_MAX) {
		set_err(err, errlen, "unknown sink kind %d", (int)kind);
		return -EINVAL;
	}
	if (kind == SL_SINK_SYSLOG) {
		if (p == NULL)
			p = SYSLOG_PATH;
		if ((facility & ~LOG_FACMASK) != 0 || LOG_FAC(facility) >= LOG_NFACILITIES) {
			set_err(err, errlen, "syslog: bad facility %d", facility);
			return -EINVAL;
		}
	}
	if (p == NULL || p[0] == '\0') {
		set_err(err, errlen, "%s sink: no path", sl_sink_kind_name(kind));
		return -EINVAL;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->path = strdup(p);
	if (s->path == NULL)
		goto nomem;
	s->kind = kind;
	s->fd = -1;
	s->facility = facility;

	if (kind == SL_SINK_FILE) {
		rc = file_open(p);
		if (rc < 0) {
			set_err(err, errlen, "%s: cannot open: %s", p, strerror(-rc));
			goto fail;
		}
		s->fd = rc;
	} else {
		if (strlen(p) >= sizeof(s->addr.sun_path)) {
			set_err(err, errlen, "%s: socket path longer than %zu bytes", p,
				sizeof(s->addr.sun_path) - 1);
			rc = -ENAMETOOLONG;
			goto fail;
		}
		s->addr.sun_family = AF_UNIX;
		memcpy(s->addr.sun_path, p, strlen(p) + 1);
		rc = sock_open(s);
		if (rc < 0) {
			set_err(err, errlen, "%s: cannot connect: %s", p, strerror(-rc));
			goto fail;
		}
	}
	*out = s;
	return 0;

nomem:
	set_err(err, errlen, "out of memory");
	rc = -ENOMEM;
fail:
	sl_sink_close(s);
	return rc;
}

int
sl_write_lines_fd(int fd, const char *buf, size_t len, size_t *kept)
{
	off_t start;
	size_t done = 0, whole;
	int err = 0;

	if (kept != NULL)
		*kept = 0;
	if (fd < 0 || buf == NULL || len == 0 || buf[len - 1] != '\n')
		return -EINVAL;
	/* where the lines start: the end of a regular file (O_APPEND), -1 for
	 * a pipe or a terminal */
	start = lseek(fd, 0, SEEK_END);
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (done == len) {
		if (kept != NULL)
			*kept = len;
		return 0;
	}
	/* keep the whole lines, take the cut one back */
	whole = done;
	while (whole > 0 && buf[whole - 1] != '\n')
		whole--;
	if (kept != NULL)
		*kept = whole;
	if (whole < done && (start < 0 || ftruncate(fd, start + (off_t)whole) != 0))
		return -EIO;
	return -err;
}

/* Whole lines to the file; a cut line that could not be taken back makes
 * the next write start with a newline. */
static int
file_write_lines(struct sl_sink *s, const char *buf, size_t len, unsigned int *written)
{
	size_t kept = 0;
	int rc;

	if (s->partial) {
		rc = sl_write_lines_fd(s->fd, "\n", 1, NULL);
		if (rc != 0)
			return rc;
		s->partial = false;
	}
	rc = sl_write_lines_fd(s->fd, buf, len, &kept);
	if (rc == -EIO)
		s->partial = true;
	if (written != NULL) {
		unsigned int n = 0;

		for (size_t i = 0; i < kept; i++)
			n += buf[i] == '\n';
		*written = n;
	}
	return rc;
}

static int
file_write(struct sl_sink *s, const char *line, size_t len)
{
	char small[4096];
	char *buf = len + 1 <= sizeof(small) ? small : malloc(len + 1);
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, line, len);
	buf[len] = '\n';
	rc = file_write_lines(s, buf, len + 1, NULL);
	if (buf != small)
		free(buf);
	return rc;
}

/* Header of a syslog datagram, as glibc syslog(3) writes it to /dev/log. */
static size_t
syslog_header(const struct sl_sink *s, char *buf, size_t len)
{
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* RFC 3164 TIMESTAMP: "Mmm dd hh:mm:ss", day padded with a space */
	n = snprintf(buf, len, "<%d>%s %2d %02d:%02d:%02d %s[%ld]: ",
		     s->facility | LOG_INFO, mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, SYSLOG_IDENT, (long)getpid());
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

static int
sock_write(struct sl_sink *s, const char *line, size_t len)
{
	char hdr[SYSLOG_HDR_MAX];
	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov };
	ssize_t n;
	int rc;

	if (!s->connected) {
		rc = sock_connect(s);
		if (rc < 0)
			return rc;
	}
	if (s->kind == SL_SINK_SYSLOG) {
		iov[msg.msg_iovlen].iov_base = hdr;
		iov[msg.msg_iovlen++].iov_len = syslog_header(s, hdr, sizeof(hdr));
	}
	iov[msg.msg_iovlen].iov_base = (void *)(uintptr_t)line;
	iov[msg.msg_iovlen++].iov_len = len;
	do {
		n = sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0; /* a datagram goes whole or not at all */
	rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (rc == -ECONNREFUSED || rc == -ENOTCONN || rc == -ENOENT || rc == -EPIPE ||
	    rc == -ECONNRESET)
		s->connected = false; /* the peer went away: connect again next time */
	return rc;
}

#define SOCK_BATCH 64

/* One datagram per line, up to SOCK_BATCH per sendmmsg(). */
static int
sock_write_lines(struct sl_sink *s, const char *buf, size_t len, unsigned int *written)
{
	struct mmsghdr msgs[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH][2];
	char hdr[SYSLOG_HDR_MAX];
	size_t hlen = 0, off = 0;
	unsigned int sent = 0;
	int rc = 0;

	if (!s->connected && (rc = sock_connect(s)) < 0)
		return rc;
	if (s->kind == SL_SINK_SYSLOG)
		hlen = syslog_header(s, hdr, sizeof(hdr));
	while (off < len && rc == 0) {
		unsigned int n = 0;

		memset(msgs, 0, sizeof(msgs));
		for (size_t o = off; o < len && n < SOCK_BATCH; n++) {
			const char *nl = memchr(buf + o, '\n', len - o);
			size_t l = (size_t)(nl - (buf + o));
			int k = 0;

			if (hlen > 0) {
				iov[n][k].iov_base = hdr;
				iov[n][k++].iov_len = hlen;
			}
			iov[n][k].iov_base = (void *)(uintptr_t)(buf + o);
			iov[n][k++].iov_len = l;
			msgs[n].msg_hdr.msg_iov = iov[n];
			msgs[n].msg_hdr.msg_iovlen = (size_t)k;
			o += l + 1;
		}
		int r;
		do {
			r = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		} while (r < 0 && errno == EINTR);
		if (r < 0) {
			rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
			break;
		}
		for (int i = 0; i < r; i++)
			off += iov[i][hlen > 0 ? 1 : 0].iov_len + 1;
		sent += (unsigned int)r;
		if ((unsigned int)r < n)
			continue; /* the next call reports why the rest was refused */
	}
	if (rc == -ECONNREFUSED || rc == -ENOTCONN || rc == -ENOENT || rc == -EPIPE ||
	    rc == -ECONNRESET)
		s->connected = false; /* the peer went away: connect again next time */
	if (written != NULL)
		*written = sent;
	return rc;
}

int
sl_sink_write_lines(struct sl_sink *s, const char *buf, size_t len, unsigned int *written)
{
	if (written != NULL)
		*written = 0;
	if (s == NULL || buf == NULL || len == 0 || buf[len - 1] != '\n')
		return -EINVAL;
	if (s->fd < 0)
		return -EBADF;
	return is_socket(s) ? sock_write_lines(s, buf, len, written)
			    : file_write_lines(s, buf, len, written);
}

int
sl_sink_write(struct sl_sink *s, const char *line, size_t len)
{
	if (s == NULL || line == NULL)
		return -EINVAL;
	if (s->fd < 0)
		return -EBADF;
	return is_socket(s) ? sock_write(s, line, len) : file_write(s, line, len);
}

/* Do two descriptors refer to the same file? */
static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int
sl_sink_reopen(struct sl_sink *s)
{
	int fd;

	if (s == NULL)
		return -EINVAL;
	if (is_socket(s))
		return sock_open(s);
	fd = file_open(s->path);
	if (fd < 0)
		return fd; /* keep writing to the old (renamed) file */
	if (s->fd >= 0) {
		if (!same_file(s->fd, fd))
			s->partial = false; /* a new file starts at a line boundary */
		close(s->fd);
	}
	s->fd = fd;
	return 0;
}

void
sl_sink_close(struct sl_sink *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
}
