/*
 * The GitHub client's credentials: a token file, or a GitHub App (its
 * private key, the RS256 JWT made from it, the installation token the JWT
 * is exchanged for). They live only in struct github; this file is the one
 * place that reads, wipes and scrubs them.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "file.h"
#include "github_int.h"
#include "log.h"
#include "policy.h"
#include "util.h"
#include "xalloc.h"

#define GH_MAX_SECRET		(64 * 1024)
#define GH_JWT_LIFETIME		540	/* exp - now; GitHub allows 600 */

/* Free a secret after wiping it: freed memory can end up in a core. */
void
gh_auth_secret_free(char **s)
{
	if (*s == NULL)
		return;
	OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

/*
 * Make network text fit for one log line or verdict field: control
 * characters replaced, and any credential we hold starred out (in place:
 * the length never changes).
 */
void
gh_auth_scrub(const struct github *gh, char *s)
{
	const char	*secrets[2] = { gh->token, gh->jwt };
	char		*p, *from;
	size_t		 i, n;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (i = 0; i < 2; i++) {
		if (secrets[i] == NULL || (n = strlen(secrets[i])) == 0)
			continue;
		for (from = s; (p = strstr(from, secrets[i])) != NULL;
		    from = p + n)
			memset(p, '*', n);
	}
}

/*
 * Read a credential file: a regular file that no other user can read
 * (checked on the open descriptor, so a swap after the check is moot).
 */
static char *
gh_read_secret(const char *path, const char *what, size_t *lenp)
{
	struct stat	 st;
	char		*buf;

	/* An admin-named path: a link is followed. */
	buf = file_read_small(AT_FDCWD, path, GH_MAX_SECRET, FILE_FOLLOW,
	    lenp, &st);
	if (buf == NULL && errno == EFBIG)
		log_warnx("github: %s %s is larger than %d bytes", what, path,
		    GH_MAX_SECRET);
	else if (buf == NULL)
		log_warnx("github: %s %s: %s", what, path, file_why(errno));
	if (buf == NULL)
		return NULL;
	/* Judged on what was read, so a chmod or swap in between is moot. */
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_warnx("github: refusing %s %s: it is accessible by group "
		    "or others (mode %04o); run chmod 600 on it", what, path,
		    (unsigned)(st.st_mode & 07777));
		OPENSSL_cleanse(buf, *lenp);
		free(buf);
		return NULL;
	}
	return buf;
}

/* A token file holds one token: printable, no spaces, trailing newline ok. */
static char *
gh_load_token(const char *path)
{
	char	*buf;
	size_t	 len, i;

	if ((buf = gh_read_secret(path, "token_file", &len)) == NULL)
		return NULL;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	for (i = 0; i < len && isgraph((unsigned char)buf[i]); i++)
		;
	if (len == 0 || i != len) {
		log_warnx("github: token_file %s does not hold one token on "
		    "one line", path);
		OPENSSL_cleanse(buf, len);
		free(buf);
		return NULL;
	}
	return buf;
}

static EVP_PKEY *
gh_load_key(const char *path)
{
	EVP_PKEY	*key = NULL;
	char		*pem;
	size_t		 len;
	BIO		*bio;

	if ((pem = gh_read_secret(path, "private_key_file", &len)) == NULL)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(pem, len);
	free(pem);
	ERR_clear_error();
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		log_warnx("github: private_key_file %s is not an RSA private "
		    "key in PEM form", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static char *
gh_b64url(const unsigned char *in, size_t len)
{
	char	*out, *p;
	int	 n;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

/* RS256 JWT for the App: issued 60 s in the past against clock drift. */
static char *
gh_make_jwt(struct github *gh)
{
	EVP_MD_CTX	*md;
	char		*hdr, *claims, *input, *sig64, *jwt = NULL, *json;
	unsigned char	*sig;
	size_t		 siglen = 0;
	time_t		 now = time(NULL);
	const char	*p;
	int		 numeric = 1;

	for (p = gh->app_id; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			numeric = 0;
	/* A numeric App id is sent as a number, a client id as a string. */
	xasprintf(&json, numeric ? "{\"iat\":%lld,\"exp\":%lld,\"iss\":%s}" :
	    "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
	    (long long)now - 60, (long long)now + GH_JWT_LIFETIME, gh->app_id);
	hdr = gh_b64url((const unsigned char *)"{\"alg\":\"RS256\","
	    "\"typ\":\"JWT\"}", 27);
	claims = gh_b64url((unsigned char *)json, strlen(json));
	xasprintf(&input, "%s.%s", hdr, claims);
	free(json);
	free(hdr);
	free(claims);

	sig = xmalloc((size_t)EVP_PKEY_get_size(gh->key));
	siglen = (size_t)EVP_PKEY_get_size(gh->key);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, gh->key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)input,
	    strlen(input)) == 1) {
		sig64 = gh_b64url(sig, siglen);
		xasprintf(&jwt, "%s.%s", input, sig64);
		free(sig64);
	} else
		log_warnx("github: signing the App JWT failed");
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	free(sig);
	free(input);
	return jwt;
}

int
gh_auth_setup(struct github *gh, const struct policy_github *pg)
{
	if (pg->app_id != NULL || pg->installation_id != NULL ||
	    pg->private_key_file != NULL) {
		if (!gh_name_safe(pg->app_id, "-_.") ||
		    !gh_name_safe(pg->installation_id, "") ||
		    pg->private_key_file == NULL) {
			log_warnx("github: a GitHub App needs app_id, a "
			    "numeric installation_id and private_key_file");
			return -1;
		}
		gh->app_id = xstrdup(pg->app_id);
		gh->installation_id = xstrdup(pg->installation_id);
		if ((gh->key = gh_load_key(pg->private_key_file)) == NULL)
			return -1;
		return 0;
	}
	if (pg->token_file != NULL) {
		if ((gh->token = gh_load_token(pg->token_file)) == NULL)
			return -1;
		return 0;
	}
	log_warnx("github: no credentials configured (a GitHub App or "
	    "token_file); GitHub actions are off");
	return -1;
}

void
gh_auth_teardown(struct github *gh)
{
	EVP_PKEY_free(gh->key);
	gh->key = NULL;
	gh_auth_secret_free(&gh->token);
	gh_auth_secret_free(&gh->jwt);
	free(gh->app_id);
	free(gh->installation_id);
	gh->app_id = gh->installation_id = NULL;
}

/* The header of one attempt; the App's JWT is made afresh each time. */
char *
gh_auth_header(struct github *gh, enum gh_auth auth)
{
	char	*h;

	if (auth == GH_AUTH_JWT) {
		gh_auth_secret_free(&gh->jwt);
		if ((gh->jwt = gh_make_jwt(gh)) == NULL)
			return NULL;
	}
	xasprintf(&h, "Authorization: Bearer %s", auth == GH_AUTH_JWT ?
	    gh->jwt : gh->token);
	return h;
}

int
gh_auth_token_fresh(const struct github *gh)
{
	if (gh->token == NULL)
		return 0;
	return gh->token_expires == 0 ||
	    time(NULL) + GH_TOKEN_MARGIN < gh->token_expires;
}

int
gh_auth_token_take(struct github *gh, struct gh_req *req)
{
	cJSON		*doc, *tok, *exp;
	struct tm	 tm;
	int		 ok = 0;

	if (req->status != 201 || req->resp == NULL)
		return 0;	/* no token in it: kept for the error */
	doc = cJSON_Parse(req->resp);
	/* The answer holds the token: wiped before the req is freed. */
	OPENSSL_cleanse(req->resp, req->resp_len);
	if (doc == NULL)
		return 0;
	tok = cJSON_GetObjectItemCaseSensitive(doc, "token");
	exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_at");
	memset(&tm, 0, sizeof tm);
	if (cJSON_IsString(tok) && tok->valuestring[0] != '\0' &&
	    cJSON_IsString(exp) &&
	    strptime(exp->valuestring, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL) {
		gh_auth_secret_free(&gh->token);
		gh->token = xstrdup(tok->valuestring);
		gh->token_expires = timegm(&tm);
		/*
		 * A token already "expiring" (skewed clock) is still used
		 * once rather than fetched again and again.
		 */
		if (gh->token_expires < time(NULL) + GH_TOKEN_MARGIN + 1)
			gh->token_expires = time(NULL) + GH_TOKEN_MARGIN + 1;
		ok = 1;
	}
	if (cJSON_IsString(tok))
		OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(doc);
	return ok;
}

/*
 * GitHub's token prefixes: ghp_ (classic PAT), github_pat_ (fine-grained
 * PAT), gho_ (OAuth app). Those are refused by POST /check-runs ("You must
 * authenticate via a GitHub App"). An installation token (ghs_, like a
 * job's GITHUB_TOKEN with checks: write) or one of an unknown shape (a GHES
 * proxy's) is tried.
 */
int
gh_auth_token_is_personal(const struct github *gh)
{
	static const char *const	 personal[] = { "ghp_", "github_pat_",
					     "gho_" };
	size_t				 i;

	if (gh->key != NULL || gh->token == NULL)
		return 0;
	for (i = 0; i < nitems(personal); i++)
		if (strncmp(gh->token, personal[i], strlen(personal[i])) == 0)
			return 1;
	return 0;
}

