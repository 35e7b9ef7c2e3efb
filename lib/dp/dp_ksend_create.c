/* SPDX-License-Identifier: BSD-3-Clause */
/* Raw sockets for the unresolved-next-hop path (control lcore, at start). */

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_ksend_pvt.h"

static int
raw_socket(int family, const char *iface)
{
	int one = 1, fd, rc;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	/* IPPROTO_RAW implies IP_HDRINCL for IPv4 (raw(7)); say it anyway. */
	if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		goto err;
	if (iface != NULL &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0)
		goto err;
	return fd;
err:
	rc = -errno;
	close(fd);
	return rc;
}

int
sipdp_dp_ksend_create(const char *iface, struct sipdp_dp_ksend **out)
{
	struct sipdp_dp_ksend *ks;
	int rc;

	if (out == NULL || (iface != NULL && strlen(iface) >= IFNAMSIZ))
		return -EINVAL;
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return -ENOMEM;
	ks->fd4 = raw_socket(AF_INET, iface);
	if (ks->fd4 < 0) {
		rc = ks->fd4;
		free(ks);
		return rc;
	}
	ks->fd6 = raw_socket(AF_INET6, iface);
	if (ks->fd6 < 0) {
		rc = ks->fd6;
		close(ks->fd4);
		free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

void
sipdp_dp_ksend_destroy(struct sipdp_dp_ksend *ks)
{
	if (ks == NULL)
		return;
	close(ks->fd4);
	close(ks->fd6);
	free(ks);
}
