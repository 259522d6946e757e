/* hubhttp.c -- see hubhttp.h.
 *
 * Sections: tus header parsers; staging files; answers; the connection
 * watchdog; the callbacks' worker; requests (discovery, creation, HEAD,
 * PATCH, receipts, documents); start and stop.
 *
 * Locks: `uplock` (recursive) covers the staging directory, the list of
 * PATCHes writing and the upload count; the polling thread holds it for
 * each call from libmicrohttpd, the watchdog for a sweep, the worker to
 * read and store a reply (never while a callback runs).  `qlock` covers
 * the worker's queue and what the worker hands back in a queued request.
 * `connlock` covers the connection list; libmicrohttpd tells us a
 * connection is closed before it closes its socket, so the watchdog may
 * shut a socket down while it holds connlock and sees the connection
 * listed.  Order: uplock, then qlock or connlock.
 *
 * A request that needs a callback (the final PATCH, a document) is
 * suspended (MHD_suspend_connection) and queued; the worker calls the
 * callback, puts the reply in the request and resumes it; libmicrohttpd
 * then calls handle() again, which sends the answer.  A suspended
 * connection is never closed by libmicrohttpd, so the request stays valid
 * until it is resumed; the worker never touches it after that.  Stop
 * ends the worker before libmicrohttpd (which must not find a connection
 * suspended): the callback running finishes, the requests still queued
 * are answered 503, and a request queued after that is answered 503 at
 * once.
 */
#include "hubhttp.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "cdsync/cdsync.h"
#include "i18n.h"
#include "sha1.h"

#define DEF_MAX_UPLOAD (64ull << 20)
#define DEF_MAX_UPLOADS 1000u
#define DEF_MAX_POST (64u << 10)
#define DEF_MAX_HEADER (8u << 10)
#define DEF_CONNS 64u
#define DEF_PER_IP 8u
#define DEF_IDLE 30u
#define DEF_REQUEST 300u
#define DEF_EXPIRY 72u
#define DEF_SWEEP 600u
#define INFO_MAX (CDS_TUS_METAMAX + 512) /* bytes of an ID.info */
#define REPLY_HEAD_MAX 512		  /* bytes before a reply's body */
#define WATCH_MS 100			  /* watchdog period */
#define IDHEX 32

/* ==== tus header parsers ============================================ */

int
cds_tus_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;

	if (s == NULL || *s == '\0')
		return CDSYNC_EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return CDSYNC_EINVAL;
		d = (unsigned)(*s - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return CDSYNC_EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return CDSYNC_OK;
}

/* One pair of an Upload-Metadata header, without surrounding blanks. */
struct pair {
	const char *k; /* key */
	size_t kn;
	const char *v; /* base64 value, NULL if the pair has none */
	size_t vn;
};

/* Takes the next comma-separated pair from *pp; 0 at the end. */
static int
next_pair(const char **pp, struct pair *pr)
{
	const char *p = *pp, *e, *sp;

	if (p == NULL)
		return 0;
	e = strchr(p, ',');
	*pp = e ? e + 1 : NULL;
	if (e == NULL)
		e = p + strlen(p);
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (sp = p; sp < e && *sp != ' '; sp++)
		;
	pr->k = p;
	pr->kn = (size_t)(sp - p);
	pr->v = NULL;
	pr->vn = 0;
	if (sp < e) {
		pr->v = sp + 1;
		pr->vn = (size_t)(e - sp - 1);
	}
	return 1;
}

static int
key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > CDS_TUS_METAKEYMAX)
		return 0;
	for (i = 0; i < n; i++)
		if (k[i] <= ' ' || k[i] > '~' || k[i] == ',')
			return 0;
	return 1;
}

/* The value of a base64 character (RFC 4648 section 4), -1 for any
 * other byte. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes standard padded base64 exactly, in its one canonical form (the
 * bits after the last byte zero); -1 if malformed or too big.  The
 * alphabet is checked here: libsodium 1.0.18 takes some bytes above 0x7f
 * for '/' (the fuzzer found it). */
static int
b64dec(const char *v, size_t vn, uint8_t *out, size_t cap, size_t *len)
{
	const char *end = NULL;
	size_t i, pad;
	int last;

	*len = 0;
	if (vn == 0)
		return 0;
	if (vn % 4 != 0)
		return -1;
	pad = v[vn - 1] == '=' ? (v[vn - 2] == '=' ? 2 : 1) : 0;
	for (i = 0; i < vn - pad; i++)
		if (b64val((unsigned char)v[i]) < 0)
			return -1;
	last = b64val((unsigned char)v[vn - pad - 1]);
	if ((pad == 1 && (last & 3) != 0) || (pad == 2 && (last & 15) != 0))
		return -1;
	if (vn % 4 != 0 ||
	    sodium_base642bin(out, cap, v, vn, NULL, len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != v + vn)
		return -1;
	return 0;
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
cds_tus_meta_check(const char *s, char *err, size_t errlen)
{
	struct pair prs[CDS_TUS_METAPAIRS], pr;
	uint8_t scratch[CDS_TUS_METAMAX];
	const char *p = s;
	size_t n, i, len;

	if (s == NULL || (n = strlen(s)) > CDS_TUS_METAMAX) {
		seterr(err, errlen,
		       _("Upload-Metadata: %zu bytes, more than %d"),
		       s ? strlen(s) : 0, CDS_TUS_METAMAX);
		return CDSYNC_EINVAL;
	}
	if (n == 0)
		return CDSYNC_OK;
	for (n = 0; next_pair(&p, &pr); n++) {
		if (n == CDS_TUS_METAPAIRS) {
			seterr(err, errlen,
			       _("Upload-Metadata: more than %d pairs"),
			       CDS_TUS_METAPAIRS);
			return CDSYNC_EINVAL;
		}
		if (!key_ok(pr.k, pr.kn)) {
			seterr(err, errlen,
			       _("Upload-Metadata: pair %zu has no valid key "
				 "(1 to %d printable characters, no comma)"),
			       n + 1, CDS_TUS_METAKEYMAX);
			return CDSYNC_EINVAL;
		}
		for (i = 0; i < n; i++)
			if (prs[i].kn == pr.kn && /* keys: not secret */
			    memcmp(prs[i].k, pr.k, pr.kn) == 0) {
				seterr(err, errlen,
				       _("Upload-Metadata: key \"%.*s\" "
					 "given twice"),
				       (int)pr.kn, pr.k);
				return CDSYNC_EINVAL;
			}
		if (pr.v != NULL &&
		    b64dec(pr.v, pr.vn, scratch, sizeof scratch, &len) != 0) {
			seterr(err, errlen,
			       _("Upload-Metadata: the value of \"%.*s\" is "
				 "not padded base64"),
			       (int)pr.kn, pr.k);
			return CDSYNC_EINVAL;
		}
		prs[n] = pr;
	}
	return CDSYNC_OK;
}

int
cds_tus_meta_get(const char *s, const char *key, uint8_t *val, size_t cap,
		 size_t *len)
{
	struct pair pr;
	const char *p = s;
	size_t kn = strlen(key);

	*len = 0;
	while (next_pair(&p, &pr)) {
		if (pr.kn != kn || memcmp(pr.k, key, kn) != 0) /* not secret */
			continue;
		if (pr.v == NULL)
			return CDSYNC_OK;
		return b64dec(pr.v, pr.vn, val, cap, len) == 0 ? CDSYNC_OK
							       : CDSYNC_EINVAL;
	}
	return CDSYNC_ENOTFOUND;
}

int
cds_tus_meta_add(char *s, size_t cap, const char *key, const uint8_t *val,
		 size_t len)
{
	size_t have = strlen(s), kn = strlen(key), need;
	size_t bn = sodium_base64_ENCODED_LEN(len,
					      sodium_base64_VARIANT_ORIGINAL);

	if (!key_ok(key, kn))
		return CDSYNC_EINVAL;
	/* comma, key, space, base64 (bn counts its NUL) */
	need = have + (have > 0) + kn + (len > 0 ? 1 + bn : 1);
	if (need > cap || need - 1 > CDS_TUS_METAMAX)
		return CDSYNC_EINVAL;
	if (have > 0)
		s[have++] = ',';
	memcpy(s + have, key, kn);
	have += kn;
	if (len > 0) {
		s[have++] = ' ';
		sodium_bin2base64(s + have, bn, val, len,
				  sodium_base64_VARIANT_ORIGINAL);
	} else {
		s[have] = '\0';
	}
	return CDSYNC_OK;
}

int
cds_tus_parse_checksum(const char *s, uint8_t sha1[20], char *err,
		       size_t errlen)
{
	const char *sp, *b;
	size_t n;

	if (s == NULL || (sp = strchr(s, ' ')) == NULL) {
		seterr(err, errlen,
		       _("Upload-Checksum: expected \"sha1 <base64>\""));
		return CDSYNC_EINVAL;
	}
	if ((size_t)(sp - s) != 4 ||
	    memcmp(s, "sha1", 4) != 0) { /* not secret */
		seterr(err, errlen,
		       _("Upload-Checksum: algorithm \"%.*s\" is not "
			 "supported (Tus-Checksum-Algorithm: sha1)"),
		       (int)((sp - s) > 16 ? 16 : (sp - s)), s);
		return CDSYNC_EINVAL;
	}
	b = sp + 1;
	if (strlen(b) != 28 || b64dec(b, 28, sha1, 20, &n) != 0 || n != 20) {
		seterr(err, errlen,
		       _("Upload-Checksum: the sha1 is not the base64 of 20 "
			 "bytes"));
		return CDSYNC_EINVAL;
	}
	return CDSYNC_OK;
}

void
cds_tus_httpdate(time_t t, char out[30])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char b[96];
	size_t n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year > 8099 ||
	    tm.tm_year < -1899) {
		snprintf(out, 30, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	n = strlen(b); /* 29 for the years above */
	memcpy(out, b, n < 29 ? n : 29);
	out[n < 29 ? n : 29] = '\0';
}

/* ==== Server state ================================================== */

struct conn {		    /* one TCP connection, for request_timeout */
	struct conn *prev;
	struct conn *next;
	int fd;		    /* its socket (owned by libmicrohttpd) */
	int64_t deadline;   /* monotonic ms by which its request must end */
	int shut;	    /* the watchdog has shut it down */
};

enum kind {
	K_NONE = 0, /* answered on the first call */
	K_PATCH,    /* bytes of an upload */
	K_DOC,	    /* a POST document outside /files/ */
	K_WAIT	    /* suspended, queued for the worker */
};

enum job {	    /* what the worker does for a queued request */
	J_DONE = 1, /* cfg.done of a complete upload, and store its reply */
	J_GET,	    /* cfg.get */
	J_POST	    /* cfg.post */
};

struct req {		     /* one request, libmicrohttpd's *con_cls */
	struct req *prev;    /* in h->writers while writing */
	struct req *next;
	enum kind kind;
	int deferred;	     /* no body: routed on the second call */
	int tus;	     /* a /files/ request: add Tus-Resumable */
	char id[IDHEX + 1];  /* upload id (PATCH) */
	int fd;		     /* ID.data, or -1 */
	int writing;	     /* listed in h->writers */
	int superseded;	     /* a newer PATCH of the upload took over */
	int overflow;	     /* body ran past Upload-Length / max_post */
	int ioerr;	     /* errno of a failed write, or 0 */
	int has_sum;	     /* Upload-Checksum given */
	int done;	     /* the upload has a stored reply */
	uint64_t start;	     /* Upload-Offset of this PATCH */
	uint64_t length;     /* Upload-Length of the upload */
	uint64_t got;	     /* body bytes written */
	int64_t expires;     /* of the upload, for Upload-Expires */
	struct cds_sha1 sha; /* over the body */
	uint8_t want[CDS_SHA1_BYTES]; /* Upload-Checksum */
	uint8_t *doc;	     /* K_DOC: the body so far */
	size_t ndoc;
	char url[256];	     /* K_DOC: the url */
	int say_offset;	     /* add Upload-Offset: offset to an answer */
	uint64_t offset;
	/* K_WAIT: from enqueue() until `answered` (qlock's) the worker's,
	 * but for qnext (qlock's) */
	struct MHD_Connection *conn;
	struct req *qnext;   /* in h->queue */
	enum job job;
	char *gurl;	     /* J_GET: the url */
	struct info *in;     /* J_DONE: the upload's info */
	int answered;	     /* the worker is through with it */
	int cbrc;	     /* the callback's result; -1 also: not called */
	struct cds_hubhttp_reply rp; /* the callback's or the stored reply */
};

struct cds_hubhttp {
	struct cds_hubhttp_config cfg; /* with defaults; strings are ours */
	char *dir;		       /* staging directory */
	int dirfd;		       /* open on it */
	struct MHD_Daemon *mhd;
	uint16_t port;
	pthread_mutex_t uplock;	 /* staging, writers, nuploads */
	pthread_mutex_t connlock; /* conns, stopping */
	pthread_cond_t wake;	 /* wakes the watchdog (stop) */
	pthread_t watchdog;
	int stopping;
	pthread_mutex_t qlock;	 /* queue, qstop, K_WAIT requests */
	pthread_cond_t qwake;	 /* wakes the worker */
	pthread_t worker;
	struct req *queue;	 /* requests waiting for a callback, in */
	struct req *qtail;	 /* order; the head is the one running */
	int qstop;		 /* stop: call no more callbacks */
	struct conn *conns;	 /* open connections */
	struct req *writers;	 /* PATCHes writing bytes */
	unsigned nuploads;	 /* uploads in progress in staging (a
				    finished one, kept to answer again,
				    does not count) */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
now_s(const struct cds_hubhttp *h)
{
	return (int64_t)(h->cfg.now ? h->cfg.now() : time(NULL));
}

static int
is_id(const char *s, size_t n)
{
	size_t i;

	if (n != IDHEX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Printable ASCII of untrusted text for a message, at most 48 bytes. */
static const char *
clean(const char *s, char out[64])
{
	size_t i;

	for (i = 0; s && s[i] && i < 48; i++)
		out[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	if (s && s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* ==== Staging files ================================================= */

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, b, n, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Writes name in the staging directory whole or not at all: NAME.tmp,
 * rename.  With `sync`, crash-safe too: NAME.tmp is fsynced before the
 * rename and the directory after it.  Without, a crash of the machine
 * may leave the old file, no file, or (on some file systems) a short
 * one. */
static int
save_file(struct cds_hubhttp *h, const char *name, const void *p, size_t n,
	  int sync, char *err, size_t errlen)
{
	char tmp[64];
	const char *op = "open";
	int fd, rc = CDSYNC_OK, e;

	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	if ((fd = openat(h->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
					       O_CLOEXEC, 0600)) < 0)
		goto fail;
	op = "write";
	if (write_all(fd, p, n) != 0)
		goto fail;
	op = "fsync";
	if (sync && fsync(fd) != 0)
		goto fail;
	op = "close";
	e = close(fd);
	fd = -1;
	if (e != 0)
		goto fail;
	op = "rename";
	if (renameat(h->dirfd, tmp, h->dirfd, name) != 0)
		goto fail;
	op = "fsync of the folder";
	if (sync && fsync(h->dirfd) != 0)
		goto fail;
	goto out;
fail:
	e = errno;
	seterr(err, errlen, _("%s/%s: %s failed: %s"), h->dir, name, op,
	       strerror(e));
	if (fd >= 0)
		close(fd);
	unlinkat(h->dirfd, tmp, 0);
	rc = CDSYNC_EIO;
out:
	return rc;
}

/* Reads a whole small file of the staging directory; *buf is cds_malloc'd
 * with a NUL after the bytes.  CDSYNC_ENOTFOUND, _ECORRUPT (over max),
 * _EIO, _ENOMEM. */
static int
load_file(struct cds_hubhttp *h, const char *name, size_t max, char **buf,
	  size_t *len)
{
	struct stat sb;
	ssize_t r;
	size_t n = 0;
	char *b = NULL;
	int fd, rc = CDSYNC_OK;

	*buf = NULL;
	*len = 0;
	if ((fd = openat(h->dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? CDSYNC_ENOTFOUND : CDSYNC_EIO;
	if (fstat(fd, &sb) != 0) {
		rc = CDSYNC_EIO;
		goto out;
	}
	if (sb.st_size < 0 || (uint64_t)sb.st_size > max) {
		rc = CDSYNC_ECORRUPT;
		goto out;
	}
	if ((b = cds_malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		r = read(fd, b + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = CDSYNC_EIO;
			goto out;
		}
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	cds_free(b);
	close(fd);
	return rc;
}

static void
fname(char out[48], const char *id, const char *ext)
{
	snprintf(out, 48, "%s.%s", id, ext);
}

/* What ID.info holds. */
struct info {
	uint64_t length;		 /* Upload-Length */
	int64_t created;		 /* unix seconds */
	int64_t expires;		 /* unix seconds */
	char meta[CDS_TUS_METAMAX + 1]; /* Upload-Metadata, "" if none */
};

static int
save_info(struct cds_hubhttp *h, const char *id, const struct info *in,
	  char *err, size_t errlen)
{
	char buf[INFO_MAX], name[48];
	int n;

	n = snprintf(buf, sizeof buf,
		     "cdsync-upload 1\nlength %llu\ncreated %lld\n"
		     "expires %lld\nmetadata %s\n",
		     (unsigned long long)in->length, (long long)in->created,
		     (long long)in->expires, in->meta);
	if (n < 0 || (size_t)n >= sizeof buf) {
		seterr(err, errlen, _("upload %s: state too long"), id);
		return CDSYNC_EINVAL;
	}
	fname(name, id, "info");
	return save_file(h, name, buf, (size_t)n, 0, err, errlen);
}

/* Makes the info of upload id durable (saved unsynced by save_info):
 * before the first offset the hub says of it.  0, or -1 with errno. */
static int
sync_info(struct cds_hubhttp *h, const char *id)
{
	char name[48];
	int fd, rc;

	fname(name, id, "info");
	if ((fd = openat(h->dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	if (close(fd) != 0)
		rc = -1;
	return rc == 0 && fsync(h->dirfd) == 0 ? 0 : -1;
}

/* The value of line "NAME value\n" at *p; advances *p past the line. */
static int
line(const char **p, const char *name, char *val, size_t cap)
{
	size_t n = strlen(name);
	const char *e;

	if (strncmp(*p, name, n) != 0 || (*p)[n] != ' ' ||
	    (e = strchr(*p + n + 1, '\n')) == NULL ||
	    (size_t)(e - (*p + n + 1)) >= cap)
		return -1;
	memcpy(val, *p + n + 1, (size_t)(e - (*p + n + 1)));
	val[e - (*p + n + 1)] = '\0';
	*p = e + 1;
	return 0;
}

static int
line_u64(const char **p, const char *name, uint64_t *v)
{
	char val[24];

	return line(p, name, val, sizeof val) == 0 &&
			       cds_tus_parse_u64(val, v) == CDSYNC_OK
		       ? 0
		       : -1;
}

/* CDSYNC_OK, _ENOTFOUND, _ECORRUPT, _EIO, _ENOMEM. */
static int
load_info(struct cds_hubhttp *h, const char *id, struct info *in)
{
	char name[48], *buf = NULL;
	const char *p;
	uint64_t c, e;
	size_t n;
	int rc;

	fname(name, id, "info");
	if ((rc = load_file(h, name, INFO_MAX, &buf, &n)) != CDSYNC_OK)
		return rc;
	p = buf;
	rc = CDSYNC_ECORRUPT;
	if (strlen(buf) != n || strncmp(p, "cdsync-upload 1\n", 16) != 0)
		goto out;
	p += 16;
	if (line_u64(&p, "length", &in->length) != 0 ||
	    line_u64(&p, "created", &c) != 0 ||
	    line_u64(&p, "expires", &e) != 0 ||
	    line(&p, "metadata", in->meta, sizeof in->meta) != 0 ||
	    *p != '\0' || cds_tus_meta_check(in->meta, NULL, 0) != 0)
		goto out;
	in->created = (int64_t)c;
	in->expires = (int64_t)e;
	rc = CDSYNC_OK;
out:
	cds_free(buf);
	return rc;
}

/* A stored final answer, ID.reply. */
struct stored {
	unsigned status;
	int receipt;
	int64_t expires;     /* of the finished upload; 0: its info's (a
				reply of version 1, whose info says it) */
	char type[64];
	const uint8_t *body; /* into buf */
	size_t len;
	char *buf;	     /* the file, cds_malloc'd; NULL: none */
};

static int
type_ok(const char *t)
{
	for (; *t; t++)
		if (*t < ' ' || *t > '~')
			return 0;
	return 1;
}

/* Makes the text fields of a callback's reply safe to send: terminated,
 * printable, no quote in an entity tag; a bad one is dropped. */
static void
tidy(struct cds_hubhttp_reply *rp)
{
	rp->type[sizeof rp->type - 1] = '\0';
	rp->etag[sizeof rp->etag - 1] = '\0';
	if (!type_ok(rp->type))
		rp->type[0] = '\0';
	if (!type_ok(rp->etag) || strchr(rp->etag, '"') != NULL)
		rp->etag[0] = '\0';
}

/* ID.reply, version 2 (version 1 had neither "expires" nor "sum"):
 *   cdsync-reply 2\nstatus S\nreceipt 0|1\ntype T\nexpires UNIX\n
 *   length N\nsum HEX\n\nBODY
 * HEX is the BLAKE2b-128 of everything before "sum" and of BODY: the file
 * is not fsynced (hubhttp.h, "Completion"), and one torn by a crash of
 * the machine reads as no reply at all. */
static void
reply_sum(const char *head, size_t hn, const uint8_t *body, size_t len,
	  char hex[33])
{
	crypto_generichash_state st;
	uint8_t d[16];

	crypto_generichash_init(&st, NULL, 0, sizeof d);
	crypto_generichash_update(&st, (const uint8_t *)head, hn);
	if (len > 0)
		crypto_generichash_update(&st, body, len);
	crypto_generichash_final(&st, d, sizeof d);
	sodium_bin2hex(hex, 33, d, sizeof d);
}

static int
save_reply(struct cds_hubhttp *h, const char *id,
	   const struct cds_hubhttp_reply *rp, int64_t expires, char *err,
	   size_t errlen)
{
	char name[48], hex[33], *buf;
	int n, rc;

	if ((buf = cds_malloc(REPLY_HEAD_MAX + rp->len)) == NULL) {
		seterr(err, errlen, _("out of memory"));
		return CDSYNC_ENOMEM;
	}
	n = snprintf(buf, REPLY_HEAD_MAX,
		     "cdsync-reply 2\nstatus %u\nreceipt %d\ntype %s\n"
		     "expires %lld\nlength %zu\n",
		     rp->status, rp->receipt ? 1 : 0, rp->type,
		     (long long)expires, rp->len);
	if (n < 0 || n >= REPLY_HEAD_MAX - 64) { /* 38 more for the sum */
		cds_free(buf);
		seterr(err, errlen, _("upload %s: reply head too long"), id);
		return CDSYNC_EINVAL;
	}
	reply_sum(buf, (size_t)n, rp->body, rp->len, hex);
	n += snprintf(buf + n, REPLY_HEAD_MAX - (size_t)n, "sum %s\n\n",
		      hex);
	if (rp->len > 0)
		memcpy(buf + n, rp->body, rp->len);
	fname(name, id, "reply");
	rc = save_file(h, name, buf, (size_t)n + rp->len, 0, err, errlen);
	cds_free(buf);
	return rc;
}

/* CDSYNC_OK, _ENOTFOUND (not finished), _ECORRUPT (torn, or not ours),
 * _EIO, _ENOMEM. */
static int
load_reply(struct cds_hubhttp *h, const char *id, struct stored *s)
{
	char name[48], want[40], hex[33];
	const char *p;
	uint64_t status, receipt, len, expires = 0;
	size_t n, hn;
	int rc, v2;

	memset(s, 0, sizeof *s);
	fname(name, id, "reply");
	rc = load_file(h, name, REPLY_HEAD_MAX + CDS_HUBHTTP_REPLYMAX,
		       &s->buf, &n);
	if (rc != CDSYNC_OK)
		return rc;
	p = s->buf;
	v2 = strncmp(p, "cdsync-reply 2\n", 15) == 0;
	if (!v2 && strncmp(p, "cdsync-reply 1\n", 15) != 0)
		goto bad;
	p += 15;
	if (line_u64(&p, "status", &status) != 0 || status < 100 ||
	    status > 599 || line_u64(&p, "receipt", &receipt) != 0 ||
	    receipt > 1 || line(&p, "type", s->type, sizeof s->type) != 0 ||
	    (v2 && line_u64(&p, "expires", &expires) != 0) ||
	    line_u64(&p, "length", &len) != 0)
		goto bad;
	hn = (size_t)(p - s->buf);
	if ((v2 && (line(&p, "sum", want, sizeof want) != 0 ||
		    strlen(want) != 32)) ||
	    *p != '\n' || (size_t)(p + 1 - s->buf) + len != n)
		goto bad;
	s->body = (const uint8_t *)p + 1;
	s->len = (size_t)len;
	if (v2) {
		reply_sum(s->buf, hn, s->body, s->len, hex);
		if (memcmp(hex, want, 32) != 0) /* not secret */
			goto bad;
	}
	s->status = (unsigned)status;
	s->receipt = (int)receipt;
	s->expires = (int64_t)expires;
	return CDSYNC_OK;
bad:
	cds_free(s->buf);
	memset(s, 0, sizeof *s);
	return CDSYNC_ECORRUPT;
}

/* 1 if upload id has a sound stored reply: it is finished. */
static int
finished(struct cds_hubhttp *h, const char *id)
{
	struct stored s;
	int rc = load_reply(h, id, &s);

	cds_free(s.buf);
	return rc == CDSYNC_OK;
}

/* The info of upload id and its stored reply, if it has a sound one
 * (else st->buf is NULL): a finished upload expires when its reply says.
 * CDSYNC_OK, or load_info's code, or _EIO, _ENOMEM reading the reply. */
static int
load_upload(struct cds_hubhttp *h, const char *id, struct info *in,
	    struct stored *st)
{
	int rc = load_info(h, id, in);

	memset(st, 0, sizeof *st);
	if (rc != CDSYNC_OK)
		return rc;
	rc = load_reply(h, id, st);
	if (rc == CDSYNC_EIO || rc == CDSYNC_ENOMEM)
		return rc;
	if (rc == CDSYNC_OK && st->expires > 0)
		in->expires = st->expires;
	return CDSYNC_OK;
}

static struct req *
writer_of(struct cds_hubhttp *h, const char *id)
{
	struct req *r;

	for (r = h->writers; r; r = r->next)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

/* 1 if a request in the worker's queue takes upload id in (or waits
 * to). */
static int
queued(struct cds_hubhttp *h, const char *id)
{
	struct req *r;
	int found = 0;

	pthread_mutex_lock(&h->qlock);
	for (r = h->queue; r != NULL && !found; r = r->qnext)
		found = r->job == J_DONE && strcmp(r->id, id) == 0;
	pthread_mutex_unlock(&h->qlock);
	return found;
}

/* 1 if upload id must not be removed now: a PATCH writes to it, or it is
 * being taken in. */
static int
in_use(struct cds_hubhttp *h, const char *id)
{
	return writer_of(h, id) != NULL || queued(h, id);
}

static void
unlist(struct cds_hubhttp *h, struct req *r)
{
	if (!r->writing)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		h->writers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->writing = 0;
}

/* Removes the files of upload id; 1 if it existed. */
static int
unlink_upload(struct cds_hubhttp *h, const char *id)
{
	char name[48];
	int had;

	fname(name, id, "info"); /* first: without it there is no upload */
	had = unlinkat(h->dirfd, name, 0) == 0;
	fname(name, id, "data");
	unlinkat(h->dirfd, name, 0);
	fname(name, id, "reply");
	unlinkat(h->dirfd, name, 0);
	return had;
}

static void patch_cut(struct cds_hubhttp *h, struct req *r);

/* A HEAD or a PATCH of upload id while an older PATCH still writes to it:
 * the client gave up on that one (its link died, the hub has not noticed
 * yet).  It ends as if cut here: its bytes so far are kept and fsynced,
 * what it sends later is dropped with its connection. */
static void
supersede(struct cds_hubhttp *h, const char *id)
{
	struct req *w = writer_of(h, id);

	if (w == NULL)
		return;
	patch_cut(h, w);
	w->superseded = 1;
}

/* Removes an upload; one in progress no longer counts against
 * max_uploads (a finished one never did). */
static void
remove_upload(struct cds_hubhttp *h, const char *id)
{
	int fin = finished(h, id);

	if (unlink_upload(h, id) && !fin && h->nuploads > 0)
		h->nuploads--;
}

/* Removes expired uploads (none in use) and counts the others; at start
 * also leftovers: temporary files, and data or replies whose info is
 * gone. */
static int
sweep(struct cds_hubhttp *h, int at_start, char *err, size_t errlen)
{
	struct info *in = NULL;
	struct stored st = { 0 };
	struct dirent *e;
	char id[IDHEX + 1], name[48];
	const char *dot;
	unsigned n = 0;
	int64_t now = now_s(h);
	DIR *d = NULL;
	int fd, rc = CDSYNC_OK;

	if ((in = cds_malloc(sizeof *in)) == NULL)
		return CDSYNC_ENOMEM;
	if ((fd = dup(h->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		seterr(err, errlen, _("cannot read the folder %s: %s"),
		       h->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		rc = CDSYNC_EIO;
		goto out;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		dot = strchr(e->d_name, '.');
		if (dot == NULL ||
		    !is_id(e->d_name, (size_t)(dot - e->d_name)))
			continue;	/* not ours */
		memcpy(id, e->d_name, IDHEX);
		id[IDHEX] = '\0';
		if (strcmp(dot, ".info") == 0) {
			int lr = in_use(h, id) ? CDSYNC_OK
					       : load_upload(h, id, in, &st);

			if (at_start && lr == CDSYNC_ECORRUPT)
				/* torn by a power cut: it was saved unsynced
				 * and no offset of it was said */
				(void)unlink_upload(h, id);
			else if (in_use(h, id) || lr != CDSYNC_OK)
				n += !finished(h, id);
			else if (now >= in->expires)
				(void)unlink_upload(h, id);
			else if (st.buf == NULL)
				n++;	/* in progress: it counts */
			cds_free(st.buf);
			st.buf = NULL;
		} else if (at_start && strstr(dot, ".tmp") != NULL) {
			unlinkat(h->dirfd, e->d_name, 0);
		} else if (at_start && (strcmp(dot, ".data") == 0 ||
					strcmp(dot, ".reply") == 0)) {
			fname(name, id, "info");
			if (faccessat(h->dirfd, name, F_OK, 0) != 0)
				unlinkat(h->dirfd, e->d_name, 0);
		}
	}
	h->nuploads = n;
out:
	if (d)
		closedir(d);
	cds_free(in);
	return rc;
}

/* ==== Answers ======================================================= */

static void
add(struct MHD_Response *rs, const char *name, const char *value)
{
	if (rs)
		(void)MHD_add_response_header(rs, name, value);
}

static void
add_u64(struct MHD_Response *rs, const char *name, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	add(rs, name, b);
}

static void
add_date(struct MHD_Response *rs, const char *name, int64_t t)
{
	char b[30];

	cds_tus_httpdate((time_t)t, b);
	add(rs, name, b);
}

static enum MHD_Result
queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *rs)
{
	enum MHD_Result ret;

	if (rs == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return ret;
}

static struct MHD_Response *
empty(const struct req *r)
{
	struct MHD_Response *rs;

	rs = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r->tus)
		add(rs, "Tus-Resumable", CDS_TUS_VERSION);
	return rs;
}

static enum MHD_Result
fail(struct MHD_Connection *c, const struct req *r, unsigned status,
     const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Answers `status` with the body "CODE message\n". */
static enum MHD_Result
fail(struct MHD_Connection *c, const struct req *r, unsigned status,
     const char *code, const char *fmt, ...)
{
	struct MHD_Response *rs;
	char body[640];
	va_list ap;
	int n;

	n = snprintf(body, sizeof body, "%s ", code);
	va_start(ap, fmt);
	vsnprintf(body + n, sizeof body - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(body);
	body[n++] = '\n';
	rs = MHD_create_response_from_buffer((size_t)n, body,
					     MHD_RESPMEM_MUST_COPY);
	add(rs, "Content-Type", "text/plain; charset=utf-8");
	add(rs, "Cache-Control", "no-store");
	if (r->tus)
		add(rs, "Tus-Resumable", CDS_TUS_VERSION);
	if (status == 412)
		add(rs, "Tus-Version", CDS_TUS_VERSION);
	if (r->say_offset)
		add_u64(rs, "Upload-Offset", r->offset);
	return queue(c, status, rs);
}

/* A callback's or a stored reply, with the tus headers when r->tus. */
static enum MHD_Result
send_reply(struct MHD_Connection *c, const struct req *r, unsigned status,
	   const uint8_t *body, size_t len, const char *type, int receipt,
	   const char *etag, int64_t expires)
{
	struct MHD_Response *rs;
	char tag[80];

	if (status == 0)
		status = 200;
	if (status == 204 && len > 0)
		status = 200;
	rs = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
					     MHD_RESPMEM_MUST_COPY);
	add(rs, "Content-Type",
	    type && *type && type_ok(type) ? type
					   : "application/octet-stream");
	if (receipt)
		add(rs, "Cdsync-Receipt", "1");
	if (etag && *etag) {
		snprintf(tag, sizeof tag, "\"%s\"", etag);
		add(rs, "ETag", tag);
		add(rs, "Cache-Control", "no-cache");
	} else {
		add(rs, "Cache-Control", "no-store");
	}
	if (r->tus) {
		add(rs, "Tus-Resumable", CDS_TUS_VERSION);
		if (expires > 0)
			add_date(rs, "Upload-Expires", expires);
	}
	if (r->say_offset)
		add_u64(rs, "Upload-Offset", r->offset);
	return queue(c, status, rs);
}

/* ==== Connection watchdog =========================================== */

static void
notify_conn(void *cls, struct MHD_Connection *c, void **sc,
	    enum MHD_ConnectionNotificationCode code)
{
	struct cds_hubhttp *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *k;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*sc = NULL;
		ci = MHD_get_connection_info(
			c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL)
			return;
		if ((k = cds_calloc(1, sizeof *k)) == NULL) {
			shutdown(ci->connect_fd, SHUT_RDWR); /* no deadline */
			return;
		}
		k->fd = ci->connect_fd;
		k->deadline =
			mono_ms() + 1000 * (int64_t)h->cfg.request_timeout;
		pthread_mutex_lock(&h->connlock);
		k->next = h->conns;
		if (h->conns)
			h->conns->prev = k;
		h->conns = k;
		pthread_mutex_unlock(&h->connlock);
		*sc = k;
		return;
	}
	if ((k = *sc) == NULL)
		return;
	pthread_mutex_lock(&h->connlock);
	if (k->prev)
		k->prev->next = k->next;
	else
		h->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&h->connlock);
	cds_free(k);
	*sc = NULL;
}

/* A request ended: the next one on the connection gets a full budget. */
static void
restart_deadline(struct cds_hubhttp *h, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *k;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (k = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&h->connlock);
	k->deadline = mono_ms() + 1000 * (int64_t)h->cfg.request_timeout;
	pthread_mutex_unlock(&h->connlock);
}

static void *
watchdog(void *arg)
{
	struct cds_hubhttp *h = arg;
	struct timespec ts;
	struct conn *k;
	int64_t now, next_sweep;

	next_sweep = mono_ms() + 1000 * (int64_t)h->cfg.sweep_seconds;
	pthread_mutex_lock(&h->connlock);
	while (!h->stopping) {
		now = mono_ms();
		for (k = h->conns; k; k = k->next)
			if (!k->shut && now >= k->deadline) {
				/* the socket is open: MHD closes it only
				 * after telling notify_conn, which waits
				 * for connlock */
				shutdown(k->fd, SHUT_RDWR);
				k->shut = 1;
			}
		if (now >= next_sweep) {
			pthread_mutex_unlock(&h->connlock);
			pthread_mutex_lock(&h->uplock);
			(void)sweep(h, 0, NULL, 0);
			pthread_mutex_unlock(&h->uplock);
			pthread_mutex_lock(&h->connlock);
			next_sweep =
				now + 1000 * (int64_t)h->cfg.sweep_seconds;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->wake, &h->connlock, &ts);
	}
	pthread_mutex_unlock(&h->connlock);
	return NULL;
}

/* ==== The callbacks' worker ========================================= */

/* The bytes of an upload whose stored reply refuses it (4xx) are never
 * read again: the reply answers every later final PATCH and receipt
 * request, and done() is not called again.  Kept, they would fill the
 * disk at the speed of the link for expiry_hours (garbage from anyone
 * who can reach the hub).  Their blocks are freed in place (a hole the
 * size of the file), so HEAD and the final PATCH still see the upload
 * whole.  Not fsynced, like the reply: after a crash the bytes may be
 * back, or the reply lost and done() called again on zeros, which it
 * refuses too.  Best effort: where the file system cannot punch holes
 * the bytes stay until the upload expires. */
static void
drop_bytes(int fd, uint64_t length)
{
	/* up to the next 64 KiB: a hole frees only whole blocks, and the
	 * last one is partly past the end (KEEP_SIZE: the size stays) */
	uint64_t span = (length + 0xffff) & ~(uint64_t)0xffff;

	if (length > 0)
		(void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, (off_t)span);
}

/* The worker's turn of a complete upload: the reply that an earlier turn
 * stored (a final PATCH sent again while the first was taken in), or
 * done() and its reply, stored.  The reply is sent even if it cannot be
 * stored: done() has taken the upload in, and the next final PATCH calls
 * done() again, which must be idempotent (hubhttp.h). */
static void
take_in(struct cds_hubhttp *h, struct req *r)
{
	struct cds_hubhttp_reply *rp = &r->rp;
	struct stored s;
	char path[PATH_MAX];
	int64_t expires;
	int rc;

	pthread_mutex_lock(&h->uplock);
	rc = load_reply(h, r->id, &s);
	pthread_mutex_unlock(&h->uplock);
	if (rc == CDSYNC_OK) {
		if (s.len > 0 && (rp->body = cds_malloc(s.len)) == NULL) {
			cds_free(s.buf);
			return; /* 503 */
		}
		if (s.len > 0)
			memcpy(rp->body, s.body, s.len);
		rp->len = s.len;
		rp->status = s.status;
		rp->receipt = s.receipt;
		snprintf(rp->type, sizeof rp->type, "%s", s.type);
		if (s.expires > 0)
			r->in->expires = s.expires;
		cds_free(s.buf);
		r->cbrc = 0;
		return;
	}
	if (rc == CDSYNC_EIO || rc == CDSYNC_ENOMEM)
		return; /* 503 */
	snprintf(path, sizeof path, "%s/%s.data", h->dir, r->id);
	rc = h->cfg.done(h->cfg.ctx, r->id, path, r->in->meta, rp);
	if (rc == 0 && (rp->len > CDS_HUBHTTP_REPLYMAX ||
			(rp->len > 0 && rp->body == NULL) ||
			(rp->status != 0 && (rp->status < 200 ||
					     rp->status > 599)))) {
		rc = -1; /* a bug of the callback: do not store it */
	}
	if (rc != 0) {
		cds_free(rp->body);
		memset(rp, 0, sizeof *rp);
		return; /* 503 */
	}
	if (rp->status == 0)
		rp->status = 200;
	if (rp->status == 204 && rp->len > 0)
		rp->status = 200;
	tidy(rp);
	/* the reply lives expiry_hours from now */
	expires = now_s(h) + 3600 * (int64_t)h->cfg.expiry_hours;
	pthread_mutex_lock(&h->uplock);
	if (save_reply(h, r->id, rp, expires, NULL, 0) == CDSYNC_OK) {
		/* finished: it no longer counts against max_uploads */
		if (h->nuploads > 0)
			h->nuploads--;
		r->in->expires = expires;
		if (rp->status >= 400 && rp->status < 500)
			drop_bytes(r->fd, r->length);
	}
	pthread_mutex_unlock(&h->uplock);
	r->cbrc = 0;
}

/* Calls the callback of queued requests, one at a time, in order; hands
 * each its reply and resumes it.  Once stopping, the one running ends
 * and the others get none (503). */
static void *
work(void *arg)
{
	struct cds_hubhttp *h = arg;
	struct MHD_Connection *c;
	struct req *r;
	int stop;

	pthread_mutex_lock(&h->qlock);
	for (;;) {
		while (h->queue == NULL && !h->qstop)
			pthread_cond_wait(&h->qwake, &h->qlock);
		if ((r = h->queue) == NULL)
			break; /* stopping, and nothing left */
		stop = h->qstop;
		pthread_mutex_unlock(&h->qlock);
		if (!stop && r->job == J_DONE)
			take_in(h, r);
		else if (!stop && r->job == J_GET)
			r->cbrc = h->cfg.get(h->cfg.ctx, r->gurl, &r->rp);
		else if (!stop)
			r->cbrc = h->cfg.post(h->cfg.ctx, r->url, r->doc,
					      r->ndoc, &r->rp);
		c = r->conn;
		pthread_mutex_lock(&h->qlock);
		h->queue = r->qnext;
		if (h->queue == NULL)
			h->qtail = NULL;
		r->answered = 1;
		pthread_mutex_unlock(&h->qlock);
		MHD_resume_connection(c); /* r is the polling thread's now */
		pthread_mutex_lock(&h->qlock);
	}
	pthread_mutex_unlock(&h->qlock);
	return NULL;
}

/* Ends the worker (see the top of this file). */
static void
stop_worker(struct cds_hubhttp *h)
{
	pthread_mutex_lock(&h->qlock);
	h->qstop = 1;
	pthread_cond_signal(&h->qwake);
	pthread_mutex_unlock(&h->qlock);
	pthread_join(h->worker, NULL);
}

/* Suspends a request that needs a callback and queues it for the worker;
 * answer() sends the reply when the worker resumes it.  Once stopping,
 * it is resumed at once, without a reply (503). */
static enum MHD_Result
enqueue(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	enum job job)
{
	int stop;

	r->job = job;
	r->conn = c;
	r->kind = K_WAIT;
	r->cbrc = -1;
	MHD_suspend_connection(c); /* before the worker can resume it */
	pthread_mutex_lock(&h->qlock);
	if ((stop = h->qstop) != 0) {
		r->answered = 1;
	} else {
		r->qnext = NULL;
		if (h->qtail)
			h->qtail->qnext = r;
		else
			h->queue = r;
		h->qtail = r;
		pthread_cond_signal(&h->qwake);
	}
	pthread_mutex_unlock(&h->qlock);
	if (stop)
		MHD_resume_connection(c);
	return MHD_YES;
}

/* ==== Requests ====================================================== */

static const char *
hdr(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int
tus_ok(struct MHD_Connection *c)
{
	const char *v = hdr(c, "Tus-Resumable");

	return v != NULL && strcmp(v, CDS_TUS_VERSION) == 0;
}

static enum MHD_Result
need_tus(struct MHD_Connection *c, const struct req *r)
{
	char b[64];
	const char *v = hdr(c, "Tus-Resumable");

	if (v == NULL)
		return fail(c, r, 412, "EVERSION",
			    _("Tus-Resumable is missing; this hub speaks tus "
			      "%s"),
			    CDS_TUS_VERSION);
	return fail(c, r, 412, "EVERSION",
		    _("Tus-Resumable %s is not supported; this hub speaks tus "
		      "%s"),
		    clean(v, b), CDS_TUS_VERSION);
}

/* Content-Length, if given: 1 and *n; 0 if absent; -1 if malformed. */
static int
content_length(struct MHD_Connection *c, uint64_t *n)
{
	const char *v = hdr(c, MHD_HTTP_HEADER_CONTENT_LENGTH);

	*n = 0;
	if (v == NULL)
		return 0;
	return cds_tus_parse_u64(v, n) == CDSYNC_OK ? 1 : -1;
}

static int
has_body(struct MHD_Connection *c)
{
	uint64_t n;
	int k = content_length(c, &n);

	if (k != 0)
		return k < 0 || n > 0;
	return hdr(c, "Transfer-Encoding") != NULL;
}

static int
is_hex(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static enum MHD_Result
options(struct MHD_Connection *c, struct cds_hubhttp *h, const struct req *r)
{
	struct MHD_Response *rs = empty(r);

	add(rs, "Tus-Version", CDS_TUS_VERSION);
	add(rs, "Tus-Extension", "creation,checksum,expiration");
	add_u64(rs, "Tus-Max-Size", h->cfg.max_upload);
	add(rs, "Tus-Checksum-Algorithm", "sha1");
	return queue(c, 204, rs);
}

/* Loads the info of upload id and its stored reply (load_upload; the
 * caller frees st->buf), answering 404/410/500 when it cannot be used
 * (then returns the answer's result through *ret and -1, st->buf NULL). */
static int
open_upload(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	    const char *id, struct info *in, struct stored *st,
	    enum MHD_Result *ret)
{
	char date[30];
	int rc = load_upload(h, id, in, st);

	if (rc == CDSYNC_ENOTFOUND) {
		*ret = fail(c, r, 404, "ENOTFOUND",
			    _("no upload %s on this hub (never created, or "
			      "expired and removed)"),
			    id);
		return -1;
	}
	if (rc == CDSYNC_ECORRUPT && !in_use(h, id)) {
		/* its info is saved unsynced until an offset is said: torn,
		 * the hub never said one, and the client starts again */
		remove_upload(h, id);
		*ret = fail(c, r, 404, "ENOTFOUND",
			    _("upload %s was cut off by a power cut before "
			      "this hub held any of it; create a new one"),
			    id);
		return -1;
	}
	if (rc != CDSYNC_OK) {
		*ret = fail(c, r, 500, "EIO",
			    _("upload %s: cannot read its state in %s (%s)"),
			    id, h->dir, cdsync_strerror(rc));
		return -1;
	}
	if (now_s(h) >= in->expires) {
		cds_free(st->buf);
		st->buf = NULL;
		cds_tus_httpdate((time_t)in->expires, date);
		if (!in_use(h, id))
			remove_upload(h, id);
		*ret = fail(c, r, 410, "EGONE",
			    _("upload %s expired at %s; create a new one"), id,
			    date);
		return -1;
	}
	return 0;
}

static enum MHD_Result
create(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r)
{
	struct info *in = NULL;
	const char *len = hdr(c, "Upload-Length");
	const char *meta = hdr(c, "Upload-Metadata");
	char id[IDHEX + 1], name[48], loc[64], b[64], why[256];
	uint8_t rnd[16], sum[80];
	struct MHD_Response *rs;
	enum MHD_Result ret;
	size_t n;
	int fd = -1, tries;

	if (!tus_ok(c))
		return need_tus(c, r);
	if (hdr(c, "Upload-Defer-Length") != NULL)
		return fail(c, r, 400, "EINVAL",
			    _("Upload-Defer-Length is not supported: give "
			      "Upload-Length"));
	if ((in = cds_calloc(1, sizeof *in)) == NULL)
		return MHD_NO;
	if (len == NULL) {
		ret = fail(c, r, 400, "EINVAL",
			   _("POST %s needs Upload-Length"), "/files/");
		goto out;
	}
	if (cds_tus_parse_u64(len, &in->length) != CDSYNC_OK ||
	    in->length == 0) {
		ret = fail(c, r, 400, "EINVAL",
			   _("Upload-Length \"%s\" is not a number of bytes "
			     "above 0"),
			   clean(len, b));
		goto out;
	}
	if (in->length > h->cfg.max_upload) {
		ret = fail(c, r, 413, "ETOOBIG",
			   _("Upload-Length %llu exceeds this hub's limit of "
			     "%llu bytes (Tus-Max-Size)"),
			   (unsigned long long)in->length,
			   (unsigned long long)h->cfg.max_upload);
		goto out;
	}
	if (meta != NULL) {
		if (cds_tus_meta_check(meta, why, sizeof why) != CDSYNC_OK) {
			ret = fail(c, r, 400, "EINVAL", "%s", why);
			goto out;
		}
		if (cds_tus_meta_get(meta, "sha256", sum, sizeof sum, &n) ==
			    CDSYNC_OK &&
		    (n != 64 || !is_hex(sum, n))) {
			ret = fail(c, r, 400, "EINVAL",
				   _("Upload-Metadata: sha256 must be 64 hex "
				     "digits"));
			goto out;
		}
		snprintf(in->meta, sizeof in->meta, "%s", meta);
	}
	if (has_body(c)) {
		ret = fail(c, r, 400, "EINVAL",
			   _("POST %s takes no body: send the bytes with "
			     "PATCH (creation-with-upload is not supported)"),
			   "/files/");
		goto out;
	}
	if (h->nuploads >= h->cfg.max_uploads) {
		ret = fail(c, r, 503, "EBUSY",
			   _("%u uploads are in progress, this hub's limit; "
			     "try again later"),
			   h->nuploads);
		goto out;
	}
	for (tries = 0; tries < 4 && fd < 0; tries++) {
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(id, sizeof id, rnd, sizeof rnd);
		fname(name, id, "data");
		fd = openat(h->dirfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ret = fail(c, r, 500, "EIO",
			   _("cannot create an upload in %s: %s"), h->dir,
			   strerror(errno));
		goto out;
	}
	close(fd);
	in->created = now_s(h);
	in->expires = in->created + 3600 * (int64_t)h->cfg.expiry_hours;
	if (save_info(h, id, in, why, sizeof why) != CDSYNC_OK) {
		unlinkat(h->dirfd, name, 0);
		ret = fail(c, r, 500, "EIO", "%s", why);
		goto out;
	}
	h->nuploads++;
	snprintf(loc, sizeof loc, "/files/%s", id);
	rs = empty(r);
	add(rs, "Location", loc);
	add_date(rs, "Upload-Expires", in->expires);
	ret = queue(c, 201, rs);
out:
	cds_free(in);
	return ret;
}

static enum MHD_Result
head(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
     const char *id)
{
	struct MHD_Response *rs;
	struct stored st = { 0 };
	struct info *in;
	struct stat sb;
	enum MHD_Result ret;
	char name[48];
	int fd;

	if (!tus_ok(c))
		return need_tus(c, r);
	if ((in = cds_calloc(1, sizeof *in)) == NULL)
		return MHD_NO;
	if (open_upload(c, h, r, id, in, &st, &ret) != 0)
		goto out;
	supersede(h, id); /* the offset must not move after we say it */
	fname(name, id, "data");
	if ((fd = openat(h->dirfd, name, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) != 0) {
		ret = fail(c, r, 500, "EIO",
			   _("upload %s: cannot read %s: %s"), id, name,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	rs = empty(r);
	add_u64(rs, "Upload-Offset", (uint64_t)sb.st_size);
	add_u64(rs, "Upload-Length", in->length);
	if (in->meta[0])
		add(rs, "Upload-Metadata", in->meta);
	add_date(rs, "Upload-Expires", in->expires);
	add(rs, "Cache-Control", "no-store");
	if (st.buf != NULL)
		add(rs, "Cdsync-Receipt", "1");
	ret = queue(c, 200, rs);
out:
	cds_free(st.buf);
	cds_free(in);
	return ret;
}

static enum MHD_Result
receipt(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	const char *id)
{
	struct stored s = { 0 };
	struct info *in;
	enum MHD_Result ret;

	if ((in = cds_calloc(1, sizeof *in)) == NULL)
		return MHD_NO;
	if (open_upload(c, h, r, id, in, &s, &ret) != 0)
		goto out;
	if (s.buf == NULL) {
		ret = fail(c, r, 404, "ENOTFOUND",
			   _("upload %s has no answer yet: its last byte has "
			     "not been taken in"),
			   id);
		goto out;
	}
	ret = send_reply(c, r, s.status, s.body, s.len, s.type, s.receipt,
			 NULL, in->expires);
out:
	cds_free(s.buf);
	cds_free(in);
	return ret;
}

/* The first call of a PATCH: checks the headers against the upload and
 * gets ready to write.  Answers (and returns the result) on refusal. */
static enum MHD_Result
patch_begin(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	    const char *id)
{
	const char *ct = hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *off = hdr(c, "Upload-Offset");
	const char *sum = hdr(c, "Upload-Checksum");
	struct stored st = { 0 };
	struct info *in = NULL;
	struct stat sb;
	enum MHD_Result ret = MHD_YES;
	char name[48], b[64], why[256];
	uint64_t cl;
	int hascl;

	if (!tus_ok(c))
		return need_tus(c, r);
	if (ct == NULL || strncmp(ct, "application/offset+octet-stream",
				  31) != 0 ||
	    (ct[31] != '\0' && ct[31] != ';'))
		return fail(c, r, 415, "ETYPE",
			    _("PATCH needs Content-Type "
			      "application/offset+octet-stream, not %s"),
			    ct ? clean(ct, b) : _("none"));
	if (off == NULL || cds_tus_parse_u64(off, &r->start) != CDSYNC_OK)
		return fail(c, r, 400, "EINVAL",
			    _("PATCH needs Upload-Offset, a number of bytes "
			      "(got %s)"),
			    off ? clean(off, b) : _("none"));
	if (sum != NULL) {
		if (cds_tus_parse_checksum(sum, r->want, why, sizeof why) !=
		    CDSYNC_OK)
			return fail(c, r, 400, "EINVAL", "%s", why);
		r->has_sum = 1;
	}
	if ((hascl = content_length(c, &cl)) < 0)
		return fail(c, r, 400, "EINVAL",
			    _("Content-Length is not a number"));
	if ((in = cds_malloc(sizeof *in)) == NULL)
		return MHD_NO;
	if (open_upload(c, h, r, id, in, &st, &ret) != 0)
		goto out;
	r->length = in->length;
	r->expires = in->expires;
	supersede(h, id);
	fname(name, id, "data");
	if ((r->fd = openat(h->dirfd, name, O_RDWR | O_CLOEXEC)) < 0 ||
	    fstat(r->fd, &sb) != 0) {
		ret = fail(c, r, 500, "EIO",
			   _("upload %s: cannot open %s: %s"), id, name,
			   strerror(errno));
		goto out;
	}
	r->offset = (uint64_t)sb.st_size;
	r->say_offset = 1;
	if (r->start != r->offset) {
		ret = fail(c, r, 409, "ECONFLICT",
			   _("Upload-Offset %llu but the upload holds %llu "
			     "bytes"),
			   (unsigned long long)r->start,
			   (unsigned long long)r->offset);
		goto out;
	}
	if (hascl && cl > in->length - r->start) {
		ret = fail(c, r, 413, "ETOOBIG",
			   _("a body of %llu bytes at offset %llu runs past "
			     "Upload-Length %llu"),
			   (unsigned long long)cl,
			   (unsigned long long)r->start,
			   (unsigned long long)in->length);
		goto out;
	}
	r->done = st.buf != NULL;
	snprintf(r->id, sizeof r->id, "%s", id);
	cds_sha1_init(&r->sha);
	r->kind = K_PATCH;
	if (!r->done) {
		r->next = h->writers;
		if (h->writers)
			h->writers->prev = r;
		h->writers = r;
		r->writing = 1;
	}
	r->say_offset = 0;
out:
	cds_free(st.buf);
	cds_free(in);
	return ret;
}

static enum MHD_Result
patch_data(struct cds_hubhttp *h, struct req *r, const char *data,
	   size_t *size)
{
	size_t n = *size;
	uint64_t room = r->length - r->start - r->got;

	(void)h;
	if (r->superseded)
		return MHD_NO; /* drop the connection, keep nothing more */
	*size = 0;
	if (r->done || n > room) {
		r->overflow = 1;
		n = r->done ? 0 : (size_t)room;
	}
	if (r->has_sum)
		cds_sha1_update(&r->sha, data, n);
	if (n == 0 || r->ioerr || r->overflow)
		return MHD_YES;
	if (pwrite_all(r->fd, data, n, r->start + r->got) != 0) {
		r->ioerr = errno;
		return MHD_YES;
	}
	r->got += n;
	return MHD_YES;
}

/* A PATCH that ends without its final call (client gone, timeout, server
 * stopping): the bytes that arrived are kept, on disk. */
static void
patch_cut(struct cds_hubhttp *h, struct req *r)
{
	if (r->superseded || !r->writing)
		return;
	unlist(h, r);
	if (r->overflow && ftruncate(r->fd, (off_t)r->start) != 0)
		r->ioerr = errno;
	fsync(r->fd);
	if (r->start == 0)	/* the bytes kept resume from its info */
		(void)sync_info(h, r->id);
}

static int
hash_file(int fd, uint64_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	uint64_t off = 0;
	uint8_t *buf;
	ssize_t n;
	int rc = 0;

	if ((buf = cds_malloc(65536)) == NULL)
		return -1;
	crypto_hash_sha256_init(&st);
	while (off < len) {
		n = pread(fd, buf, len - off < 65536 ? (size_t)(len - off)
						      : 65536,
			  (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		off += (uint64_t)n;
	}
	crypto_hash_sha256_final(&st, out);
	cds_free(buf);
	return rc;
}

/* The upload holds all its bytes: answer the reply stored before, or
 * check them and queue the upload for the worker (take_in), which calls
 * done and stores its reply. */
static enum MHD_Result
finish(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r)
{
	struct stored s = { 0 };
	struct info *in = NULL;
	enum MHD_Result ret;
	uint8_t want[80], got[32];
	char hex[65];
	size_t n;

	r->say_offset = 1;
	r->offset = r->length;
	if ((in = cds_malloc(sizeof *in)) == NULL)
		return MHD_NO;
	if (open_upload(c, h, r, r->id, in, &s, &ret) != 0)
		goto out;
	if (s.buf != NULL) {
		ret = send_reply(c, r, s.status, s.body, s.len, s.type,
				 s.receipt, NULL, in->expires);
		goto out;
	}
	if (cds_tus_meta_get(in->meta, "sha256", want, sizeof want, &n) ==
		    CDSYNC_OK &&
	    n == 64) {
		if (hash_file(r->fd, r->length, got) != 0) {
			ret = fail(c, r, 500, "EIO",
				   _("upload %s: cannot read it back: %s"),
				   r->id, strerror(errno));
			goto out;
		}
		sodium_bin2hex(hex, sizeof hex, got, sizeof got);
		if (strncasecmp(hex, (char *)want, 64) != 0) {
			if (ftruncate(r->fd, 0) != 0 || fsync(r->fd) != 0) {
				ret = fail(c, r, 500, "EIO",
					   _("upload %s: cannot reset it: %s"),
					   r->id, strerror(errno));
				goto out;
			}
			r->offset = 0;
			ret = fail(c, r, 460, "ECHECKSUM",
				   _("the %llu bytes of upload %s hash to "
				     "sha256 %s, not the %.64s of its "
				     "Upload-Metadata; it was reset to offset "
				     "0"),
				   (unsigned long long)r->length, r->id, hex,
				   (char *)want);
			goto out;
		}
	}
	r->in = in;
	in = NULL;
	ret = enqueue(c, h, r, J_DONE);
out:
	cds_free(s.buf);
	cds_free(in);
	return ret;
}

static enum MHD_Result
patch_end(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r)
{
	uint8_t got[CDS_SHA1_BYTES];
	char g[32], w[32];
	struct MHD_Response *rs;

	if (r->superseded)
		return fail(c, r, 409, "ECONFLICT",
			    _("a newer PATCH of upload %s took over"), r->id);
	unlist(h, r);
	r->say_offset = 1;
	r->offset = r->start;
	if (r->overflow) {
		if (!r->done && (ftruncate(r->fd, (off_t)r->start) != 0 ||
				 fsync(r->fd) != 0))
			r->ioerr = errno;
		return fail(c, r, 413, "ETOOBIG",
			    _("the body runs past Upload-Length %llu at "
			      "offset %llu; none of it was kept"),
			    (unsigned long long)r->length,
			    (unsigned long long)r->start);
	}
	if (r->has_sum) {
		cds_sha1_final(&r->sha, got);
		if (sodium_memcmp(got, r->want, sizeof got) != 0) {
			if (ftruncate(r->fd, (off_t)r->start) != 0 ||
			    fsync(r->fd) != 0)
				r->ioerr = errno;
			sodium_bin2base64(w, sizeof w, r->want, sizeof r->want,
					  sodium_base64_VARIANT_ORIGINAL);
			sodium_bin2base64(g, sizeof g, got, sizeof got,
					  sodium_base64_VARIANT_ORIGINAL);
			return fail(c, r, 460, "ECHECKSUM",
				    _("Upload-Checksum sha1 %s but the %llu "
				      "bytes received hash to %s; none of "
				      "them was kept"),
				    w, (unsigned long long)r->got, g);
		}
	}
	/* an offset said must survive a power cut, with the upload's info
	 * (saved unsynced at its creation: synced here before the first
	 * offset said, or when a first PATCH is cut); the last bytes need
	 * not: the bundle is taken into the store, whose commit is durable,
	 * before anything is said, and a garbage upload costs no fsync */
	if (r->ioerr == 0 && r->start + r->got < r->length &&
	    (fsync(r->fd) != 0 ||
	     (r->start == 0 && sync_info(h, r->id) != 0)))
		r->ioerr = errno;
	if (r->ioerr != 0) {
		r->offset = r->start + r->got;
		return fail(c, r,
			    r->ioerr == ENOSPC || r->ioerr == EDQUOT ? 507
								     : 500,
			    "EIO",
			    _("upload %s: writing at offset %llu failed: %s"),
			    r->id, (unsigned long long)r->start + r->got,
			    strerror(r->ioerr));
	}
	r->offset = r->start + r->got;
	if (r->offset == r->length)
		return finish(c, h, r);
	rs = empty(r);
	add_u64(rs, "Upload-Offset", r->offset);
	add_date(rs, "Upload-Expires", r->expires);
	return queue(c, 204, rs);
}

static int
etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *q;
	size_t n = strlen(etag);

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;
		if ((q = strchr(p + 1, '"')) == NULL)
			return 0;
		if ((size_t)(q - p - 1) == n && strncmp(p + 1, etag, n) == 0)
			return 1;
		p = q + 1;
	}
	return 0;
}

static enum MHD_Result
get_doc(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	const char *url)
{
	char b[64];

	if (h->cfg.get == NULL)
		return fail(c, r, 404, "ENOTFOUND", _("nothing at %s"),
			    clean(url, b));
	if ((r->gurl = cds_strdup(url)) == NULL)
		return MHD_NO;
	return enqueue(c, h, r, J_GET);
}

/* The answer to a GET, once cfg.get has run. */
static enum MHD_Result
get_answer(struct MHD_Connection *c, struct req *r)
{
	struct cds_hubhttp_reply *rp = &r->rp;
	struct MHD_Response *rs;
	const char *inm = hdr(c, MHD_HTTP_HEADER_IF_NONE_MATCH);
	char b[64], tag[80];

	if (r->cbrc != 0 || rp->len > CDS_HUBHTTP_REPLYMAX ||
	    (rp->len > 0 && !rp->body))
		return fail(c, r, 503, "EBUSY",
			    _("%s cannot be read now; try again later"),
			    clean(r->gurl, b));
	tidy(rp);
	if (rp->etag[0] && inm &&
	    (rp->status == 0 || rp->status / 100 == 2) &&
	    etag_match(inm, rp->etag)) {
		rs = empty(r);
		snprintf(tag, sizeof tag, "\"%s\"", rp->etag);
		add(rs, "ETag", tag);
		add(rs, "Cache-Control", "no-cache");
		return queue(c, 304, rs);
	}
	return send_reply(c, r, rp->status, rp->body, rp->len, rp->type, 0,
			  rp->etag, 0);
}

static enum MHD_Result
post_begin(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
	   const char *url)
{
	char b[64];
	uint64_t cl;
	int hascl = content_length(c, &cl);

	if (h->cfg.post == NULL)
		return fail(c, r, 404, "ENOTFOUND",
			    _("nothing takes a POST at %s"), clean(url, b));
	if (hascl < 0)
		return fail(c, r, 400, "EINVAL",
			    _("Content-Length is not a number"));
	if (hascl && cl > h->cfg.max_post)
		return fail(c, r, 413, "ETOOBIG",
			    _("a document of %llu bytes exceeds this hub's "
			      "limit of %zu bytes"),
			    (unsigned long long)cl, h->cfg.max_post);
	if (strlen(url) >= sizeof r->url)
		return fail(c, r, 404, "ENOTFOUND", _("nothing at %s"),
			    clean(url, b));
	snprintf(r->url, sizeof r->url, "%s", url);
	r->kind = K_DOC;
	return MHD_YES;
}

static enum MHD_Result
post_data(struct cds_hubhttp *h, struct req *r, const char *data,
	  size_t *size)
{
	size_t n = *size;
	uint8_t *p;

	*size = 0;
	if (r->overflow || n > h->cfg.max_post - r->ndoc) {
		r->overflow = 1;
		return MHD_YES;
	}
	if ((p = cds_realloc(r->doc, r->ndoc + n)) == NULL)
		return MHD_NO;
	memcpy(p + r->ndoc, data, n);
	r->doc = p;
	r->ndoc += n;
	return MHD_YES;
}

static enum MHD_Result
post_end(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r)
{
	if (r->overflow)
		return fail(c, r, 413, "ETOOBIG",
			    _("the document exceeds this hub's limit of %zu "
			      "bytes"),
			    h->cfg.max_post);
	return enqueue(c, h, r, J_POST);
}

/* The answer to a POST, once cfg.post has run. */
static enum MHD_Result
post_answer(struct MHD_Connection *c, struct req *r)
{
	struct cds_hubhttp_reply *rp = &r->rp;
	char b[64];

	if (r->cbrc != 0 || rp->len > CDS_HUBHTTP_REPLYMAX ||
	    (rp->len > 0 && !rp->body))
		return fail(c, r, 503, "EBUSY",
			    _("%s cannot take this now; try again later"),
			    clean(r->url, b));
	tidy(rp);
	return send_reply(c, r, rp->status, rp->body, rp->len, rp->type, 0,
			  NULL, 0);
}

/* The final answer to a complete upload, once take_in has run. */
static enum MHD_Result
done_answer(struct MHD_Connection *c, struct req *r)
{
	struct cds_hubhttp_reply *rp = &r->rp;

	r->say_offset = 1;
	r->offset = r->length;
	if (r->cbrc != 0)
		return fail(c, r, 503, "EBUSY",
			    _("the hub cannot take upload %s in now; send the "
			      "final PATCH again later"),
			    r->id);
	return send_reply(c, r, rp->status, rp->body, rp->len, rp->type,
			  rp->receipt, NULL, r->in->expires);
}

/* A request the worker resumed: its answer. */
static enum MHD_Result
answer(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r)
{
	int ready;

	pthread_mutex_lock(&h->qlock);
	ready = r->answered;
	pthread_mutex_unlock(&h->qlock);
	r->kind = K_NONE;
	if (!ready)
		return MHD_NO; /* never: it is resumed once answered */
	if (r->job == J_DONE)
		return done_answer(c, r);
	if (r->job == J_GET)
		return get_answer(c, r);
	return post_answer(c, r);
}

/* Routes the first call of a request. */
static enum MHD_Result
begin(struct MHD_Connection *c, struct cds_hubhttp *h, struct req *r,
      const char *url, const char *method)
{
	const union MHD_ConnectionInfo *ci;
	const char *rest;
	char b[64], m[64], id[IDHEX + 1];
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	ci = MHD_get_connection_info(c,
				     MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci != NULL && ci->header_size > h->cfg.max_header)
		return fail(c, r, 431, "EINVAL",
			    _("request headers of %zu bytes exceed this hub's "
			      "limit of %zu"),
			    ci->header_size, h->cfg.max_header);
	if (strcmp(url, "/files") == 0 || strcmp(url, "/files/") == 0) {
		r->tus = 1;
		if (strcmp(method, "OPTIONS") == 0)
			return options(c, h, r);
		if (strcmp(method, "POST") == 0)
			return create(c, h, r);
		goto not_allowed;
	}
	if (strncmp(url, "/files/", 7) != 0) {
		if (is_get)
			return get_doc(c, h, r, url);
		if (strcmp(method, "POST") == 0)
			return post_begin(c, h, r, url);
		return fail(c, r, 405, "EMETHOD", _("%s is not allowed on %s"),
			    clean(method, m), clean(url, b));
	}
	r->tus = 1;
	rest = url + 7;
	if (!is_id(rest, strcspn(rest, "/")) ||
	    (rest[IDHEX] != '\0' && strcmp(rest + IDHEX, "/receipt") != 0))
		return fail(c, r, 404, "ENOTFOUND",
			    _("no upload %s: upload ids are 32 lowercase hex "
			      "digits"),
			    clean(rest, b));
	memcpy(id, rest, IDHEX);
	id[IDHEX] = '\0';
	if (rest[IDHEX] == '/') {
		if (is_get)
			return receipt(c, h, r, id);
	} else if (strcmp(method, "HEAD") == 0) {
		return head(c, h, r, id);
	} else if (strcmp(method, "PATCH") == 0) {
		return patch_begin(c, h, r, id);
	} else if (strcmp(method, "OPTIONS") == 0) {
		return options(c, h, r);
	}
not_allowed:
	return fail(c, r, 405, "EMETHOD", _("%s is not allowed on %s"),
		    clean(method, m), clean(url, b));
}

static void
req_free(struct req *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	cds_free(r->doc);
	cds_free(r->gurl);
	cds_free(r->in);
	cds_free(r->rp.body);
	cds_free(r);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *data,
       size_t *size, void **cc)
{
	struct cds_hubhttp *h = cls;
	struct req *r = *cc;
	enum MHD_Result ret = MHD_NO;

	(void)version;
	pthread_mutex_lock(&h->uplock);
	if (r == NULL) {
		if ((r = cds_calloc(1, sizeof *r)) == NULL)
			goto out;
		r->fd = -1;
		*cc = r;
		/* libmicrohttpd 0.9.75 closes the connection after an answer
		 * queued in this first call: only a request with a body is
		 * routed (and maybe refused) now, before its body is read */
		if (!has_body(c)) {
			r->deferred = 1;
			ret = MHD_YES;
			goto out;
		}
		ret = begin(c, h, r, url, method);
		goto out;
	}
	if (*size > 0) {
		if (r->kind == K_PATCH)
			ret = patch_data(h, r, data, size);
		else if (r->kind == K_DOC)
			ret = post_data(h, r, data, size);
		goto out;
	}
	if (r->kind == K_WAIT) { /* resumed by the worker */
		ret = answer(c, h, r);
		goto out;
	}
	if (r->deferred) {
		r->deferred = 0;
		ret = begin(c, h, r, url, method);
	}
	/* the last call of a body: answered now, or queued (K_WAIT) */
	if (r->kind == K_PATCH) {
		ret = patch_end(c, h, r);
		if (r->kind == K_PATCH)
			r->kind = K_NONE;
	} else if (r->kind == K_DOC) {
		ret = post_end(c, h, r);
		if (r->kind == K_DOC)
			r->kind = K_NONE;
	}
out:
	pthread_mutex_unlock(&h->uplock);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **cc,
	  enum MHD_RequestTerminationCode toe)
{
	struct cds_hubhttp *h = cls;
	struct req *r = *cc;

	(void)toe;
	pthread_mutex_lock(&h->uplock);
	if (r != NULL) {
		if (r->kind == K_PATCH)
			patch_cut(h, r);
		unlist(h, r);
		req_free(r);
		*cc = NULL;
	}
	pthread_mutex_unlock(&h->uplock);
	restart_deadline(h, c);
}

/* ==== Start and stop ================================================ */

static void
defaults(struct cds_hubhttp_config *k)
{
	if (k->max_upload == 0)
		k->max_upload = DEF_MAX_UPLOAD;
	if (k->max_upload > INT64_MAX)
		k->max_upload = INT64_MAX;
	if (k->max_uploads == 0)
		k->max_uploads = DEF_MAX_UPLOADS;
	if (k->max_post == 0)
		k->max_post = DEF_MAX_POST;
	if (k->max_header == 0)
		k->max_header = DEF_MAX_HEADER;
	if (k->connection_limit == 0)
		k->connection_limit = DEF_CONNS;
	if (k->per_ip_limit == 0)
		k->per_ip_limit = DEF_PER_IP;
	if (k->idle_timeout == 0)
		k->idle_timeout = DEF_IDLE;
	if (k->request_timeout == 0)
		k->request_timeout = DEF_REQUEST;
	if (k->expiry_hours == 0)
		k->expiry_hours = DEF_EXPIRY;
	if (k->sweep_seconds == 0)
		k->sweep_seconds = DEF_SWEEP;
}

/* Fills sa for a numeric, non-wildcard address. */
static int
bind_addr(const char *a, uint16_t port, struct sockaddr_storage *sa,
	  int *v6, char *err, size_t errlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	char b[64];

	memset(sa, 0, sizeof *sa);
	if (a == NULL || *a == '\0') {
		seterr(err, errlen,
		       _("hubhttp: no address to listen on: give the numeric "
			 "address of one interface"));
		return CDSYNC_EINVAL;
	}
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*v6 = 0;
		if (s4->sin_addr.s_addr != htonl(INADDR_ANY))
			return CDSYNC_OK;
	} else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*v6 = 1;
		if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			return CDSYNC_OK;
	} else {
		seterr(err, errlen,
		       _("hubhttp: address \"%s\" is not a numeric IPv4 or "
			 "IPv6 address"),
		       clean(a, b));
		return CDSYNC_EINVAL;
	}
	seterr(err, errlen,
	       _("hubhttp: address %s means every interface; give the "
		 "address of one"),
	       a);
	return CDSYNC_EINVAL;
}

int
cds_hubhttp_start(const struct cds_hubhttp_config *cfg,
		  struct cds_hubhttp **out, char *err, size_t errlen)
{
	struct cds_hubhttp *h = NULL;
	struct sockaddr_storage sa;
	const union MHD_DaemonInfo *di;
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	size_t pool;
	int rc, v6 = 0, locks = 0, thread = 0, worker = 0, e;
	unsigned flags;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (cfg == NULL || cfg->done == NULL || cfg->staging_dir == NULL) {
		seterr(err, errlen,
		       _("hubhttp: the configuration needs a staging folder "
			 "and a done callback"));
		return CDSYNC_EINVAL;
	}
	if ((rc = bind_addr(cfg->address, cfg->port, &sa, &v6, err,
			    errlen)) != CDSYNC_OK)
		return rc;
	if (strlen(cfg->staging_dir) > PATH_MAX - 64) {
		seterr(err, errlen,
		       _("hubhttp: staging folder name too long"));
		return CDSYNC_EINVAL;
	}
	if (sodium_init() < 0) {
		seterr(err, errlen, _("hubhttp: libsodium cannot start"));
		return CDSYNC_ERROR;
	}
	if ((h = cds_calloc(1, sizeof *h)) == NULL ||
	    (h->dir = cds_strdup(cfg->staging_dir)) == NULL) {
		seterr(err, errlen, _("out of memory"));
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	h->cfg = *cfg;
	h->cfg.address = NULL; /* not kept */
	h->cfg.staging_dir = h->dir;
	defaults(&h->cfg);
	h->dirfd = -1;
	if ((h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0) {
		e = errno;
		seterr(err, errlen, _("hubhttp: staging folder %s: %s"),
		       h->dir, strerror(e));
		rc = e == ENOENT || e == ENOTDIR ? CDSYNC_ENOTFOUND
						 : CDSYNC_EIO;
		goto out;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&h->uplock, &ma) != 0 ||
	    pthread_mutex_init(&h->connlock, NULL) != 0 ||
	    pthread_cond_init(&h->wake, &ca) != 0 ||
	    pthread_mutex_init(&h->qlock, NULL) != 0 ||
	    pthread_cond_init(&h->qwake, NULL) != 0) {
		pthread_mutexattr_destroy(&ma);
		pthread_condattr_destroy(&ca);
		seterr(err, errlen, _("hubhttp: cannot make locks"));
		rc = CDSYNC_ERROR;
		goto out;
	}
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_destroy(&ca);
	locks = 1;
	if ((rc = sweep(h, 1, err, errlen)) != CDSYNC_OK)
		goto out;
	if (pthread_create(&h->watchdog, NULL, watchdog, h) != 0) {
		seterr(err, errlen, _("hubhttp: cannot start a thread"));
		rc = CDSYNC_ERROR;
		goto out;
	}
	thread = 1;
	if (pthread_create(&h->worker, NULL, work, h) != 0) {
		seterr(err, errlen, _("hubhttp: cannot start a thread"));
		rc = CDSYNC_ERROR;
		goto out;
	}
	worker = 1;
	pool = 2 * h->cfg.max_header + 16384;
	if (pool < 32768)
		pool = 32768;
	/* poll, not epoll: with epoll, 0.9.75 misses a FIN that comes with
	 * the last bytes of a body larger than its buffer (edge-triggered),
	 * and a cut PATCH would linger until the idle timeout */
	flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		(v6 ? MHD_USE_IPv6 : 0);
	h->mhd = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, handle, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, h->cfg.connection_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		MHD_OPTION_NOTIFY_COMPLETED, completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, notify_conn, h,
		MHD_OPTION_END);
	if (h->mhd == NULL) {
		e = errno;
		seterr(err, errlen,
		       _("hubhttp: cannot listen on %s port %u: %s"),
		       cfg->address, (unsigned)cfg->port,
		       e ? strerror(e) : _("libmicrohttpd refused"));
		rc = CDSYNC_EIO;
		goto out;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : cfg->port;
	*out = h;
	h = NULL;
	rc = CDSYNC_OK;
out:
	if (h != NULL) {
		if (worker)
			stop_worker(h);
		if (thread) {
			pthread_mutex_lock(&h->connlock);
			h->stopping = 1;
			pthread_cond_signal(&h->wake);
			pthread_mutex_unlock(&h->connlock);
			pthread_join(h->watchdog, NULL);
		}
		if (locks) {
			pthread_cond_destroy(&h->qwake);
			pthread_mutex_destroy(&h->qlock);
			pthread_cond_destroy(&h->wake);
			pthread_mutex_destroy(&h->connlock);
			pthread_mutex_destroy(&h->uplock);
		}
		if (h->dirfd >= 0)
			close(h->dirfd);
		cds_free(h->dir);
		cds_free(h);
	}
	return rc;
}

void
cds_hubhttp_stop(struct cds_hubhttp **hp)
{
	struct cds_hubhttp *h;

	if (hp == NULL || (h = *hp) == NULL)
		return;
	stop_worker(h);		 /* first: nothing stays suspended */
	MHD_stop_daemon(h->mhd); /* ends requests: cut PATCHes keep bytes */
	pthread_mutex_lock(&h->connlock);
	h->stopping = 1;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->connlock);
	pthread_join(h->watchdog, NULL);
	pthread_cond_destroy(&h->qwake);
	pthread_mutex_destroy(&h->qlock);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->connlock);
	pthread_mutex_destroy(&h->uplock);
	close(h->dirfd);
	cds_free(h->dir);
	cds_free(h);
	*hp = NULL;
}

uint16_t
cds_hubhttp_port(const struct cds_hubhttp *h)
{
	return h ? h->port : 0;
}
