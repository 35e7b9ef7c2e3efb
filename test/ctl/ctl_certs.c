/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ctl_certs.h"

static int
write_pem(const char *path, X509 *crt, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = crt ? PEM_write_X509(f, crt) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return ok == 1 ? 0 : -1;
}

static int
add_ext(X509 *crt, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, crt, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* Certificate for @p key, signed by @p ca_key (self-signed when NULL),
 * valid from now + @p from_s for @p days. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key, long from_s, long days,
	bool is_ca, const char *san, long serial)
{
	X509 *crt = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(crt, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(crt), serial);
	X509_gmtime_adj(X509_getm_notBefore(crt), from_s);
	X509_gmtime_adj(X509_getm_notAfter(crt), from_s + days * 86400);
	X509_set_pubkey(crt, key);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(crt, name);
	X509_set_issuer_name(crt, ca ? X509_get_subject_name(ca) : name);
	X509_NAME_free(name);
	X509 *issuer = ca ? ca : crt;
	if (is_ca) {
		add_ext(crt, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(crt, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(crt, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(crt, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
	}
	if (san)
		add_ext(crt, issuer, NID_subject_alt_name, san);
	if (X509_sign(crt, ca_key ? ca_key : key, EVP_sha256()) <= 0) {
		X509_free(crt);
		return NULL;
	}
	return crt;
}

static int
emit(char *cert_path, char *key_path, const char *dir, const char *stem, X509 *crt, EVP_PKEY *key)
{
	if (strlen(dir) + strlen(stem) + 6 > CTL_CERT_PATH)
		return -1;
	snprintf(cert_path, CTL_CERT_PATH, "%.200s/%.40s.pem", dir, stem);
	if (write_pem(cert_path, crt, NULL) < 0)
		return -1;
	if (key_path == NULL)
		return 0;
	snprintf(key_path, CTL_CERT_PATH, "%.200s/%.40s.key", dir, stem);
	return write_pem(key_path, NULL, key);
}

int
ctl_certs_make(struct ctl_certs *pki)
{
	static const char san[] = "IP:127.0.0.1,IP:::1,DNS:sip.test";
	const char *tmp = getenv("TMPDIR");
	int rc = -1;

	memset(pki, 0, sizeof(*pki));
	snprintf(pki->dir, sizeof(pki->dir), "%.180s/sipdp-ctl-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(pki->dir) == NULL)
		return -1;
	EVP_PKEY *ca_k = EVP_EC_gen("P-256"), *srv_k = EVP_EC_gen("P-256");
	EVP_PKEY *cli_k = EVP_EC_gen("P-256"), *self_k = EVP_EC_gen("P-256");
	X509 *ca = NULL, *srv = NULL, *cli = NULL, *exp = NULL, *self = NULL;
	if (!ca_k || !srv_k || !cli_k || !self_k)
		goto out;
	ca = make_cert(ca_k, "sipdp test CA", NULL, NULL, -3600, 30, true, NULL, 1);
	if (ca == NULL)
		goto out;
	srv = make_cert(srv_k, "sip.test", ca, ca_k, -3600, 30, false, san, 2);
	cli = make_cert(cli_k, "client.test", ca, ca_k, -3600, 30, false, "DNS:client.test", 3);
	/* Expired yesterday, otherwise valid and signed by the trusted CA. */
	exp = make_cert(srv_k, "sip.test", ca, ca_k, -10 * 86400, 9 - 1, false, san, 4);
	self = make_cert(self_k, "sip.test", NULL, NULL, -3600, 30, false, san, 5);
	if (!srv || !cli || !exp || !self)
		goto out;
	if (emit(pki->ca, NULL, pki->dir, "ca", ca, ca_k) < 0 ||
	    emit(pki->srv_cert, pki->srv_key, pki->dir, "server", srv, srv_k) < 0 ||
	    emit(pki->cli_cert, pki->cli_key, pki->dir, "client", cli, cli_k) < 0 ||
	    emit(pki->exp_cert, pki->exp_key, pki->dir, "expired", exp, srv_k) < 0 ||
	    emit(pki->self_cert, pki->self_key, pki->dir, "self", self, self_k) < 0)
		goto out;
	rc = 0;
out:
	X509_free(ca);
	X509_free(srv);
	X509_free(cli);
	X509_free(exp);
	X509_free(self);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(srv_k);
	EVP_PKEY_free(cli_k);
	EVP_PKEY_free(self_k);
	return rc;
}

void
ctl_certs_remove(const struct ctl_certs *pki)
{
	const char *files[] = { pki->ca, pki->srv_cert, pki->srv_key, pki->cli_cert, pki->cli_key,
		pki->exp_cert, pki->exp_key, pki->self_cert, pki->self_key };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i][0])
			unlink(files[i]);
	rmdir(pki->dir);
}
