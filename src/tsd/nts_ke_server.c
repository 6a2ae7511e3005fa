/* NTS-KE over TLS 1.3 in a worker: non-blocking GnuTLS sessions, a strict
 * request parser, eight cookies sealed under the current master key. */
#include "tsd/nts_ke_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/log.h"
#include "common/nts_ke.h"

#define ACCEPTS_PER_EVENT 64
#define COOKIES_PER_SESSION 8
#define NTP_PORT_DEFAULT 123
/* TLS 1.3 only: RFC 8915 section 3. */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct nts_tls {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t priority;
};

enum session_state { S_FREE = 0, S_HANDSHAKE, S_READ, S_WRITE, S_BYE };
enum next { NEXT_READ, NEXT_WRITE, NEXT_CLOSE };

struct session {
	int fd;
	enum session_state state;
	int polling_out;
	gnutls_session_t tls;
	uint64_t deadline_ns;
	struct session *older, *newer;  /* the live list, oldest first */
	size_t len, sent;
	uint8_t buf[NTS_KE_MESSAGE_MAX];
};

struct nts_ke_server {
	const struct nts_tls *tls;
	struct nts_keys_shared *keys;
	struct nts_keys_view view;
	struct worker_counters *ctr;
	int epfd;
	int ntp_port;
	int tcp_port;                   /* tsd's TCP port, for NTS over TCP */
	uint64_t timeout_ns;
	uint32_t max_sessions, active, used_hwm;
	struct session *sessions, *free_list, *oldest, *newest;
	struct nts_ke_msg msg;          /* scratch: one request parsed at a time */
};

static const gnutls_datum_t alpn = { (unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1 };

/* ---- credentials ---- */

struct nts_tls *nts_tls_load(const struct conf_nts *cfg, char *err, size_t errlen)
{
	struct nts_tls *tls = calloc(1, sizeof(*tls));
	int r;

	if (tls == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = gnutls_certificate_allocate_credentials(&tls->creds);
	if (r == 0)
		r = gnutls_certificate_set_x509_key_file(tls->creds, cfg->certificate, cfg->key,
		                                         GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(err, errlen, "server.nts: cannot use certificate %s with key %s: %s",
		         cfg->certificate, cfg->key, gnutls_strerror(r));
		goto fail;
	}
	r = gnutls_priority_init(&tls->priority, TLS_PRIORITY, NULL);
	if (r < 0) {
		snprintf(err, errlen, "server.nts: TLS 1.3 priorities: %s", gnutls_strerror(r));
		goto fail;
	}
	return tls;
fail:
	nts_tls_free(tls);
	return NULL;
}

void nts_tls_free(struct nts_tls *tls)
{
	if (tls == NULL)
		return;
	if (tls->creds != NULL)
		gnutls_certificate_free_credentials(tls->creds);
	if (tls->priority != NULL)
		gnutls_priority_deinit(tls->priority);
	free(tls);
}

/* ---- the session table ---- */

struct nts_ke_server *nts_ke_server_new(const struct nts_tls *tls, struct nts_keys_shared *keys,
                                        int epfd, uint32_t max_sessions, uint64_t timeout_ns,
                                        int ntp_port, int tcp_port, struct worker_counters *ctr)
{
	struct nts_ke_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	/* calloc of a large table maps fresh pages: only the sessions used are touched. */
	srv->sessions = calloc(max_sessions, sizeof(*srv->sessions));
	if (srv->sessions == NULL) {
		free(srv);
		return NULL;
	}
	srv->tls = tls;
	srv->keys = keys;
	srv->epfd = epfd;
	srv->max_sessions = max_sessions;
	srv->timeout_ns = timeout_ns;
	srv->ntp_port = ntp_port;
	srv->tcp_port = tcp_port;
	srv->ctr = ctr;
	return srv;
}

static void unlink_live(struct nts_ke_server *srv, struct session *s)
{
	if (s->older != NULL)
		s->older->newer = s->newer;
	else
		srv->oldest = s->newer;
	if (s->newer != NULL)
		s->newer->older = s->older;
	else
		srv->newest = s->older;
}

static void session_close(struct nts_ke_server *srv, struct session *s)
{
	unlink_live(srv, s);
	gnutls_deinit(s->tls);
	close(s->fd);
	s->fd = -1;
	s->state = S_FREE;
	explicit_bzero(s->buf, sizeof(s->buf));
	s->newer = srv->free_list;
	srv->free_list = s;
	srv->active--;
}

void nts_ke_server_free(struct nts_ke_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->oldest != NULL)
		session_close(srv, srv->oldest);
	free(srv->sessions);
	explicit_bzero(&srv->view, sizeof(srv->view));
	free(srv);
}

uint32_t nts_ke_active(const struct nts_ke_server *srv)
{
	return srv->active;
}

static struct session *session_alloc(struct nts_ke_server *srv)
{
	struct session *s = srv->free_list;

	if (s != NULL) {
		srv->free_list = s->newer;
		return s;
	}
	if (srv->used_hwm < srv->max_sessions)
		return &srv->sessions[srv->used_hwm++];
	return NULL;
}

/* ---- the response ---- */

/* The two keys of RFC 8915 section 5.1, from the TLS exporter. */
static int export_keys(gnutls_session_t tls, struct nts_session_keys *k)
{
	uint8_t ctx[5];
	const char *label = NTS_KE_EXPORTER_LABEL;

	nts_ke_exporter_context(ctx, 0);
	if (gnutls_prf_rfc5705(tls, strlen(label), label, sizeof(ctx), (const char *)ctx,
	                       sizeof(k->c2s), (char *)k->c2s) != 0)
		return -1;
	nts_ke_exporter_context(ctx, 1);
	return gnutls_prf_rfc5705(tls, strlen(label), label, sizeof(ctx), (const char *)ctx,
	                          sizeof(k->s2c), (char *)k->s2c) != 0 ? -1 : 0;
}

static int offers(const uint16_t *ids, int n, uint16_t want)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == want)
			return 1;
	return 0;
}

static int put_cookies(struct nts_ke_server *srv, struct session *s, size_t *pos)
{
	uint8_t nonces[COOKIES_PER_SESSION][NTS_AEAD_NONCE_SIZE], cookie[NTS_COOKIE_SIZE];
	struct nts_session_keys k;
	int i, rc = 0;

	if (nts_keys_refresh(srv->keys, &srv->view) != 0 || export_keys(s->tls, &k) != 0 ||
	    nts_random(nonces, sizeof(nonces)) != 0)
		return -1;
	for (i = 0; i < COOKIES_PER_SESSION && rc == 0; i++) {
		nts_cookie_seal(&srv->view.ring, &k, nonces[i], cookie);
		rc = nts_ke_put(s->buf, sizeof(s->buf), pos, 0, NTS_KE_COOKIE, cookie, sizeof(cookie));
	}
	explicit_bzero(&k, sizeof(k));
	return rc;
}

/* NTPv4 with AEAD 15, the port when it is not 123, the TCP port when the
 * client asks for NTS over TCP, eight cookies (good on both transports). A
 * client offering neither gets the empty records that say so. */
static int good_response(struct nts_ke_server *srv, struct session *s, const struct nts_ke_msg *m)
{
	size_t pos = 0, cap = sizeof(s->buf);
	int ntp = offers(m->protocols, m->n_protocols, NTS_KE_PROTOCOL_NTPV4);
	int aead = offers(m->aeads, m->n_aeads, NTS_AEAD_ID);

	if (!ntp || !aead) {
		if (nts_ke_put(s->buf, cap, &pos, 1, NTS_KE_NEXT_PROTOCOL, (const uint8_t *)"\0\0",
		               ntp ? 2 : 0) != 0 ||
		    (ntp && nts_ke_put(s->buf, cap, &pos, 1, NTS_KE_AEAD, NULL, 0) != 0) ||
		    nts_ke_put(s->buf, cap, &pos, 1, NTS_KE_END, NULL, 0) != 0)
			return -1;
		return (int)pos;
	}
	if (nts_ke_put_u16(s->buf, cap, &pos, 1, NTS_KE_NEXT_PROTOCOL, NTS_KE_PROTOCOL_NTPV4) != 0 ||
	    nts_ke_put_u16(s->buf, cap, &pos, 1, NTS_KE_AEAD, NTS_AEAD_ID) != 0 ||
	    (srv->ntp_port != NTP_PORT_DEFAULT &&
	     nts_ke_put_u16(s->buf, cap, &pos, 1, NTS_KE_PORT_REC, (uint16_t)srv->ntp_port) != 0) ||
	    (m->tcp_port >= 0 &&
	     nts_ke_put_u16(s->buf, cap, &pos, 0, NTS_KE_TSD_TCP, (uint16_t)srv->tcp_port) != 0) ||
	    put_cookies(srv, s, &pos) != 0 ||
	    nts_ke_put(s->buf, cap, &pos, 1, NTS_KE_END, NULL, 0) != 0)
		return -1;
	srv->ctr->nts_ke_served++;
	return (int)pos;
}

/* What to send for a parsed (or refused) request. */
static int make_response(struct nts_ke_server *srv, struct session *s, enum nts_ke_status st)
{
	const struct nts_ke_msg *m = &srv->msg;
	int n;

	if (st == NTS_KE_OK && (m->n_protocols < 0 || m->error >= 0 ||
	                        (m->n_aeads < 0 && offers(m->protocols, m->n_protocols, 0))))
		st = NTS_KE_BAD;
	if (st == NTS_KE_OK) {
		n = good_response(srv, s, m);
		if (n >= 0)
			return n;
		return nts_ke_write_error(s->buf, sizeof(s->buf), NTS_KE_ERR_INTERNAL);
	}
	srv->ctr->nts_ke_bad_request++;
	return nts_ke_write_error(s->buf, sizeof(s->buf),
	                          st == NTS_KE_UNKNOWN_CRITICAL ? NTS_KE_ERR_UNRECOGNIZED_CRITICAL
	                                                        : NTS_KE_ERR_BAD_REQUEST);
}

/* ---- the state machine ---- */

static enum next wait_for(const struct session *s)
{
	return gnutls_record_get_direction(s->tls) ? NEXT_WRITE : NEXT_READ;
}

static int retry(ssize_t r)
{
	return r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED;
}

static enum next do_handshake(struct nts_ke_server *srv, struct session *s)
{
	gnutls_datum_t proto;
	int r = gnutls_handshake(s->tls);

	if (retry(r) || (r < 0 && !gnutls_error_is_fatal(r)))
		return wait_for(s);
	if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_PULL_ERROR ||
	    r == GNUTLS_E_PUSH_ERROR) {
		srv->ctr->nts_ke_closed++;      /* the peer left (or a port probe) */
		return NEXT_CLOSE;
	}
	if (r < 0 || gnutls_alpn_get_selected_protocol(s->tls, &proto) != 0 ||
	    proto.size != alpn.size || memcmp(proto.data, alpn.data, alpn.size) != 0) {
		srv->ctr->nts_ke_tls_failed++;
		return NEXT_CLOSE;
	}
	s->state = S_READ;
	return NEXT_READ;
}

/* Records until End of Message; GnuTLS may hold a whole record already. */
static enum next do_read(struct nts_ke_server *srv, struct session *s)
{
	enum nts_ke_status st;
	size_t used;
	ssize_t r;
	int n;

	do {
		r = gnutls_record_recv(s->tls, s->buf + s->len, sizeof(s->buf) - s->len);
		if (retry(r))
			return wait_for(s);
		if (r <= 0) {
			srv->ctr->nts_ke_closed++;
			return NEXT_CLOSE;
		}
		s->len += (size_t)r;
		st = nts_ke_parse(s->buf, s->len, &srv->msg, &used);
	} while (st == NTS_KE_INCOMPLETE && gnutls_record_check_pending(s->tls) > 0);
	if (st == NTS_KE_INCOMPLETE)
		return NEXT_READ;
	n = make_response(srv, s, st);
	if (n < 0)
		return NEXT_CLOSE;
	s->len = (size_t)n;
	s->sent = 0;
	s->state = S_WRITE;
	return NEXT_WRITE;
}

static enum next do_write(struct nts_ke_server *srv, struct session *s)
{
	ssize_t r = gnutls_record_send(s->tls, s->buf + s->sent, s->len - s->sent);

	if (retry(r))
		return wait_for(s);
	if (r < 0) {
		srv->ctr->nts_ke_closed++;
		return NEXT_CLOSE;
	}
	s->sent += (size_t)r;
	if (s->sent == s->len)
		s->state = S_BYE;
	return NEXT_WRITE;
}

/* close_notify, then close. TCP_NODELAY (inherited from the listening
 * socket) sends it at once rather than after the client's delayed ACK. */
static enum next do_bye(struct session *s)
{
	int r = gnutls_bye(s->tls, GNUTLS_SHUT_WR);

	return retry(r) ? wait_for(s) : NEXT_CLOSE;
}

/* Run the session until it must wait or is done. */
static enum next drive(struct nts_ke_server *srv, struct session *s)
{
	enum session_state before;
	enum next next;

	do {
		before = s->state;
		switch (s->state) {
		case S_HANDSHAKE: next = do_handshake(srv, s); break;
		case S_READ: next = do_read(srv, s); break;
		case S_WRITE: next = do_write(srv, s); break;
		case S_BYE: next = do_bye(s); break;
		default: next = NEXT_CLOSE; break;
		}
	} while (next != NEXT_CLOSE && s->state != before);
	return next;
}

static uint64_t tag_of(const struct session *s)
{
	return (uint64_t)(uintptr_t)s | 1u;
}

static void apply(struct nts_ke_server *srv, struct session *s, enum next next)
{
	struct epoll_event ev = { .data.u64 = tag_of(s) };
	int want_out = next == NEXT_WRITE;

	if (next == NEXT_CLOSE) {
		session_close(srv, s);
		return;
	}
	if (want_out != s->polling_out) {
		ev.events = want_out ? EPOLLOUT : EPOLLIN;
		epoll_ctl(srv->epfd, EPOLL_CTL_MOD, s->fd, &ev);
		s->polling_out = want_out;
	}
}

void nts_ke_event(struct nts_ke_server *srv, uint64_t tag, uint64_t now_ns)
{
	struct session *s = (struct session *)(uintptr_t)(tag & ~(uint64_t)1);

	(void)now_ns;
	if (s->state == S_FREE)
		return;                 /* closed earlier in this batch */
	apply(srv, s, drive(srv, s));
}

static int session_start(struct nts_ke_server *srv, struct session *s, int fd, uint64_t now_ns)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag_of(s) };
	int one = 1;

	/* The response and close_notify leave at once, not after the client's
	 * delayed ACK (chronyd 4.3 waits about 40 ms there on every session). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* No session tickets: a client makes a full key exchange each time anyway. */
	if (gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS) != 0)
		return -1;
	if (gnutls_priority_set(s->tls, srv->tls->priority) != 0 ||
	    gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, srv->tls->creds) != 0 ||
	    gnutls_alpn_set_protocols(s->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) != 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		gnutls_deinit(s->tls);
		return -1;
	}
	gnutls_transport_set_int(s->tls, fd);
	s->fd = fd;
	s->state = S_HANDSHAKE;
	s->polling_out = 0;
	s->len = s->sent = 0;
	s->deadline_ns = now_ns + srv->timeout_ns;
	/* Every session gets the same timeout: the list stays in deadline order. */
	s->older = srv->newest;
	s->newer = NULL;
	if (srv->newest != NULL)
		srv->newest->newer = s;
	else
		srv->oldest = s;
	srv->newest = s;
	srv->active++;
	return 0;
}

static void session_add(struct nts_ke_server *srv, int fd, uint64_t now_ns)
{
	struct session *s = srv->active < srv->max_sessions ? session_alloc(srv) : NULL;

	if (s == NULL) {
		srv->ctr->nts_ke_refused++;
		close(fd);
		return;
	}
	if (session_start(srv, s, fd, now_ns) != 0) {
		close(fd);
		s->newer = srv->free_list;
		srv->free_list = s;
		srv->ctr->nts_ke_closed++;
	}
}

void nts_ke_accept(struct nts_ke_server *srv, int listen_fd, uint64_t now_ns)
{
	int i, fd;

	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				srv->ctr->accept_emfile++;
			return;
		}
		session_add(srv, fd, now_ns);
	}
}

uint64_t nts_ke_expire(struct nts_ke_server *srv, uint64_t now_ns)
{
	while (srv->oldest != NULL && srv->oldest->deadline_ns <= now_ns) {
		srv->ctr->nts_ke_timeout++;
		session_close(srv, srv->oldest);
	}
	return srv->oldest != NULL ? srv->oldest->deadline_ns : UINT64_MAX;
}
