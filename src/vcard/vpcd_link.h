/* Framed TCP link to the vpcd reader driver. */
#ifndef CAREID_VCARD_VPCD_LINK_H
#define CAREID_VCARD_VPCD_LINK_H

#include <stddef.h>
#include <stdint.h>

/* A connected socket, or -1. */
int vpcd_connect(const char *host, const char *port);
/* 1 with a frame in buf, 0 on timeout or signal, -1 when the link is gone. */
int vpcd_recv(int fd, uint8_t *buf, size_t cap, size_t *len, int timeout_ms);
/* 0 or -1. */
int vpcd_send(int fd, const uint8_t *buf, size_t n);

#endif
