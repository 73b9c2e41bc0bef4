/* The link to the vpcd reader driver: one TCP connection, frames of a
 * 2-byte big-endian length followed by the payload, both ways.  The
 * connection's existence is the card's presence in the reader. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vcard/vpcd_link.h"

int vpcd_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Reads exactly n bytes; a signal in the middle of a frame does not cut it. */
static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t got = recv(fd, p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int vpcd_recv(int fd, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t hdr[2];
	size_t n;
	int rc = poll(&pfd, 1, timeout_ms);

	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	if (rc == 0)
		return 0;
	if (read_full(fd, hdr, 2) != 0)
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n > cap) {
		/* The driver never sends more than 64 KiB; drop the link if it does. */
		return -1;
	}
	if (read_full(fd, buf, n) != 0)
		return -1;
	*len = n;
	return 1;
}

int vpcd_send(int fd, const uint8_t *buf, size_t n)
{
	uint8_t hdr[2];
	const uint8_t *parts[2] = { hdr, buf };
	size_t lens[2] = { 2, n };

	if (n > 0xFFFF)
		return -1;
	hdr[0] = (uint8_t)(n >> 8);
	hdr[1] = (uint8_t)n;
	for (int i = 0; i < 2; i++) {
		const uint8_t *p = parts[i];
		size_t left = lens[i];

		while (left > 0) {
			ssize_t put = send(fd, p, left, MSG_NOSIGNAL);

			if (put < 0 && errno == EINTR)
				continue;
			if (put <= 0)
				return -1;
			p += put;
			left -= (size_t)put;
		}
	}
	return 0;
}
