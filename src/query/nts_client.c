/* NTS client: the key exchange (GnuTLS, blocking under a deadline) and the
 * cookies and authenticator of each NTP packet. */
#include "query/nts_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/monotonic.h"
#include "common/nts_cookie.h"
#include "common/nts_ke.h"

#define NTP_PORT 123
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct ke_conn {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t creds;
	int64_t deadline_ns;
};

static int ms_left(const struct ke_conn *k)
{
	int ms = monotonic_ms_until(k->deadline_ns);

	return ms > 0 ? ms : 1;
}

/* A non-blocking connect bounded by the deadline, then a blocking socket
 * whose reads GnuTLS bounds (gnutls_record_set_timeout). */
static int connect_one(const struct addrinfo *ai, struct ke_conn *k)
{
	struct pollfd p;
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, ms_left(k)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
	    err != 0) {
		close(fd);
		return -(err != 0 ? err : ETIMEDOUT);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* The request follows the handshake's last flight as a second small
	 * write: without this, Nagle holds it for the server's delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->fd = fd;
	return 0;
}

static int ke_connect(const struct server_spec *ke, struct ke_conn *k, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char port[16];
	int rc;

	snprintf(port, sizeof(port), "%d", ke->port);
	rc = getaddrinfo(ke->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", ke->host, gai_strerror(rc));
		return -1;
	}
	rc = -EADDRNOTAVAIL;
	for (ai = res; ai != NULL && rc != 0; ai = ai->ai_next)
		rc = connect_one(ai, k);
	freeaddrinfo(res);
	if (rc != 0)
		snprintf(why, whylen, "cannot connect to NTS-KE server %s port %d: %s", ke->host,
		         ke->port, strerror(-rc));
	return rc != 0 ? -1 : 0;
}

static int is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int tls_setup(const struct server_spec *ke, const char *ca_file, struct ke_conn *k)
{
	static const gnutls_datum_t alpn = { (unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1 };
	int r;

	if (gnutls_certificate_allocate_credentials(&k->creds) < 0)
		return GNUTLS_E_MEMORY_ERROR;
	r = ca_file != NULL && ca_file[0] != '\0'
	    ? gnutls_certificate_set_x509_trust_file(k->creds, ca_file, GNUTLS_X509_FMT_PEM)
	    : gnutls_certificate_set_x509_system_trust(k->creds);
	if (r < 0)
		return r;
	if ((r = gnutls_init(&k->tls, GNUTLS_CLIENT | GNUTLS_NO_TICKETS)) < 0 ||
	    (r = gnutls_priority_set_direct(k->tls, TLS_PRIORITY, NULL)) < 0 ||
	    (r = gnutls_credentials_set(k->tls, GNUTLS_CRD_CERTIFICATE, k->creds)) < 0 ||
	    (r = gnutls_alpn_set_protocols(k->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY)) < 0)
		return r;
	/* SNI carries names only (RFC 6066); the check covers IP SANs too. */
	if (!is_ip_literal(ke->host) &&
	    (r = gnutls_server_name_set(k->tls, GNUTLS_NAME_DNS, ke->host, strlen(ke->host))) < 0)
		return r;
	gnutls_session_set_verify_cert(k->tls, ke->host, 0);
	gnutls_transport_set_int(k->tls, k->fd);
	gnutls_handshake_set_timeout(k->tls, (unsigned)ms_left(k));
	gnutls_record_set_timeout(k->tls, (unsigned)ms_left(k));
	return 0;
}

static void verify_reason(struct ke_conn *k, const struct server_spec *ke, char *why, size_t whylen)
{
	gnutls_datum_t text = { NULL, 0 };
	unsigned status = gnutls_session_get_verify_cert_status(k->tls);

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
		size_t n = strlen((const char *)text.data);

		while (n > 0 && text.data[n - 1] == ' ')
			text.data[--n] = '\0';
		snprintf(why, whylen, "the certificate of %s is not trusted: %s", ke->host,
		         (const char *)text.data);
		gnutls_free(text.data);
	} else {
		snprintf(why, whylen, "the certificate of %s is not trusted", ke->host);
	}
}

static int handshake(struct ke_conn *k, const struct server_spec *ke, char *why, size_t whylen)
{
	int r;

	do {
		r = gnutls_handshake(k->tls);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_reason(k, ke, why, whylen);
		return -1;
	}
	if (r < 0) {
		snprintf(why, whylen, "TLS with %s port %d failed: %s", ke->host, ke->port,
		         gnutls_strerror(r));
		return -1;
	}
	return 0;
}

static int send_all(struct ke_conn *k, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = gnutls_record_send(k->tls, buf, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Records until End of Message. */
static int read_response(struct ke_conn *k, struct nts_ke_msg *msg, char *why, size_t whylen)
{
	uint8_t buf[NTS_KE_MESSAGE_MAX];
	enum nts_ke_status st = NTS_KE_INCOMPLETE;
	size_t len = 0, used;
	ssize_t n;

	while (st == NTS_KE_INCOMPLETE) {
		n = gnutls_record_recv(k->tls, buf + len, sizeof(buf) - len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "the NTS-KE server closed before its response ended%s%s",
			         n < 0 ? ": " : "", n < 0 ? gnutls_strerror((int)n) : "");
			return -1;
		}
		len += (size_t)n;
		st = nts_ke_parse(buf, len, msg, &used);
	}
	if (st != NTS_KE_OK) {
		snprintf(why, whylen, "malformed NTS-KE response");
		return -1;
	}
	return 0;
}

static int export_key(gnutls_session_t tls, int s2c, struct nts_aead *out)
{
	uint8_t ctx[5], key[NTS_AEAD_KEY_SIZE];
	const char *label = NTS_KE_EXPORTER_LABEL;

	nts_ke_exporter_context(ctx, s2c);
	if (gnutls_prf_rfc5705(tls, strlen(label), label, sizeof(ctx), (const char *)ctx,
	                       sizeof(key), (char *)key) != 0)
		return -1;
	nts_aead_init(out, key);
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* What the server's records say, checked: NTPv4, AEAD 15, cookies. */
static int take_response(const struct nts_ke_msg *m, const struct server_spec *ke,
                         struct nts_client *c, char *why, size_t whylen)
{
	if (m->error >= 0) {
		snprintf(why, whylen, "the NTS-KE server sent error %d", m->error);
		return -1;
	}
	if (m->n_protocols != 1 || m->protocols[0] != NTS_KE_PROTOCOL_NTPV4 ||
	    m->n_aeads != 1 || m->aeads[0] != NTS_AEAD_ID || m->n_cookies == 0) {
		snprintf(why, whylen, "the NTS-KE server offers no NTPv4 with %s, or no cookies",
		         NTS_AEAD_NAME);
		return -1;
	}
	snprintf(c->ntp.host, sizeof(c->ntp.host), "%s", m->server[0] ? m->server : ke->host);
	c->ntp.port = m->port >= 1 ? m->port : NTP_PORT;
	c->tcp_port = m->tcp_port > 0 ? m->tcp_port : 0;
	c->aead = NTS_AEAD_ID;
	c->n_cookies = m->n_cookies;
	memcpy(c->cookie_len, m->cookie_len, sizeof(c->cookie_len));
	memcpy(c->cookies, m->cookies, sizeof(c->cookies));
	return 0;
}

static void ke_close(struct ke_conn *k)
{
	if (k->tls != NULL) {
		gnutls_bye(k->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(k->tls);
	}
	if (k->creds != NULL)
		gnutls_certificate_free_credentials(k->creds);
	if (k->fd >= 0)
		close(k->fd);
}

/* Until the server's close_notify, EOF, an error or the deadline. */
static void wait_server_close(struct ke_conn *k)
{
	uint8_t buf[256];
	ssize_t n;

	do {
		n = gnutls_record_recv(k->tls, buf, sizeof(buf));
	} while (n > 0 || n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
}

int nts_client_key_exchange(const struct server_spec *ke, const char *ca_file,
                            int64_t deadline_ns, int ask_tcp, struct nts_client *c, char *why,
                            size_t whylen)
{
	return nts_client_key_exchange_ex(ke, ca_file, deadline_ns, ask_tcp, 0, c, why, whylen);
}

int nts_client_key_exchange_ex(const struct server_spec *ke, const char *ca_file,
                               int64_t deadline_ns, int ask_tcp, int wait_close,
                               struct nts_client *c, char *why, size_t whylen)
{
	struct nts_ke_msg msg;          /* 2.3 KiB: on the stack, so threads may share this */
	struct ke_conn k = { .fd = -1, .deadline_ns = deadline_ns };
	uint8_t req[64];
	int r, len, rc = -1;

	memset(c, 0, sizeof(*c));
	if (ke_connect(ke, &k, why, whylen) != 0)
		goto out;
	if ((r = tls_setup(ke, ca_file, &k)) < 0) {
		snprintf(why, whylen, "TLS setup%s%s: %s", ca_file ? " with " : "", ca_file ? ca_file : "",
		         gnutls_strerror(r));
		goto out;
	}
	if (handshake(&k, ke, why, whylen) != 0)
		goto out;
	len = nts_ke_write_request(req, sizeof(req), ask_tcp);
	if (send_all(&k, req, (size_t)len) != 0) {
		snprintf(why, whylen, "cannot send the NTS-KE request to %s", ke->host);
		goto out;
	}
	if (read_response(&k, &msg, why, whylen) != 0 || take_response(&msg, ke, c, why, whylen) != 0)
		goto out;
	if (export_key(k.tls, 0, &c->c2s) != 0 || export_key(k.tls, 1, &c->s2c) != 0) {
		snprintf(why, whylen, "the TLS exporter gave no keys");
		goto out;
	}
	if (wait_close)
		wait_server_close(&k);
	rc = 0;
out:
	ke_close(&k);
	return rc;
}

int nts_client_request(struct nts_client *c, const uint8_t header[48], uint8_t uid[NTS_UID_SIZE],
                       uint8_t *out, size_t cap)
{
	uint8_t nonce[NTS_AEAD_NONCE_SIZE];
	int i, want;

	if (c->n_cookies == 0 || nts_random(uid, NTS_UID_SIZE) != 0 ||
	    nts_random(nonce, sizeof(nonce)) != 0)
		return -1;
	i = --c->n_cookies;
	want = NTS_MAX_COOKIES - 1 - c->n_cookies;
	return nts_ef_write_request(out, cap, header, uid, c->cookies[i], c->cookie_len[i], want,
	                            &c->c2s, nonce);
}

enum nts_response_status nts_client_response(struct nts_client *c, const uint8_t uid[NTS_UID_SIZE],
                                             const uint8_t *pkt, size_t len)
{
	struct nts_response resp;
	enum nts_response_status st = nts_ef_parse_response(pkt, len, uid, &c->s2c, &resp);
	int i;

	for (i = 0; st == NTS_RESPONSE_OK && i < resp.n_cookies && c->n_cookies < NTS_MAX_COOKIES; i++) {
		memcpy(c->cookies[c->n_cookies], resp.cookies[i], resp.cookie_len[i]);
		c->cookie_len[c->n_cookies++] = resp.cookie_len[i];
	}
	return st;
}
