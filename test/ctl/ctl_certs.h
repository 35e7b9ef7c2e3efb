/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIPDP_TEST_CTL_CERTS_H
#define SIPDP_TEST_CTL_CERTS_H

/**
 * @file
 * Test PKI made at run time with the OpenSSL API (no key or certificate is
 * kept in the repository): a CA, a server certificate for 127.0.0.1, ::1
 * and sip.test, a client certificate, an expired server certificate and a
 * self-signed (untrusted) one. P-256 keys: quick to make and to use.
 */

#define CTL_CERT_PATH 256

struct ctl_certs {
	char dir[CTL_CERT_PATH];
	char ca[CTL_CERT_PATH];
	char srv_cert[CTL_CERT_PATH], srv_key[CTL_CERT_PATH];
	char cli_cert[CTL_CERT_PATH], cli_key[CTL_CERT_PATH];
	char exp_cert[CTL_CERT_PATH], exp_key[CTL_CERT_PATH];
	char self_cert[CTL_CERT_PATH], self_key[CTL_CERT_PATH];
};

/** Write every file under a new temporary directory. @return 0 or -1. */
int ctl_certs_make(struct ctl_certs *pki);

/** Remove the files and the directory. */
void ctl_certs_remove(const struct ctl_certs *pki);

#endif
