/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML loader: libyaml's document API gives a node tree with marks; the
 * table-driven walker here turns scalars into checked values and mappings
 * into calls of the per-key parsers of sl_config_schema.c.
 *
 * Each mapping is walked in two passes: first its keys in document order
 * (non-scalar, duplicate and unknown keys), then its values in the order of
 * the field table (a missing required key is reported when its turn comes),
 * so that a table can put what a later value refers to first.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- errors and key paths ---- */

struct sl_cfg_loc
sl_cfg_node_loc(const yaml_node_t *n)
{
	return (struct sl_cfg_loc){ .line = (int)n->start_mark.line + 1,
				    .col = (int)n->start_mark.column + 1 };
}

void
sl_cfg_verror(struct sl_cfg_error *err, const char *path, struct sl_cfg_loc loc, const char *key,
	      const char *fmt, va_list ap)
{
	int len;

	len = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s: ", path, loc.line, loc.col,
		       key && key[0] ? key : "(root)");
	if (len >= 0 && (size_t)len < sizeof(err->msg))
		vsnprintf(err->msg + len, sizeof(err->msg) - (size_t)len, fmt, ap);
	err->loc = loc;
}

int
sl_cfg_fail(struct sl_cfg_ctx *c, struct sl_cfg_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (c->err->msg[0] == '\0') {
		va_start(ap, fmt);
		sl_cfg_verror(c->err, c->path, loc, c->key, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
sl_cfg_fail_nomem(struct sl_cfg_ctx *c)
{
	snprintf(c->err->msg, sizeof(c->err->msg), "%s: out of memory", c->path);
	return -ENOMEM;
}

/* Append ".name" (or "name" at the root) or "[i]"; returns the length to pop back to. */
size_t
sl_cfg_key_push(struct sl_cfg_ctx *c, const char *name, long idx)
{
	size_t old = c->key_len, room = sizeof(c->key) - old;
	int n;

	if (name)
		n = snprintf(c->key + old, room, "%s%s", old ? "." : "", name);
	else
		n = snprintf(c->key + old, room, "[%ld]", idx);
	c->key_len = n < 0 ? old : (size_t)n >= room ? sizeof(c->key) - 1 : old + (size_t)n;
	return old;
}

void
sl_cfg_key_pop(struct sl_cfg_ctx *c, size_t len)
{
	c->key_len = len;
	c->key[len] = '\0';
}

/* ---- scalars ---- */

static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < SL_CFG_DIM(nulls); i++)
		if (strcmp(sl_cfg_text(n), nulls[i]) == 0)
			return true;
	return false;
}

static const char *
kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return is_null(n) ? "null" : "a scalar";
}

int
sl_cfg_fail_type(struct sl_cfg_ctx *c, const yaml_node_t *n, const char *want)
{
	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "expected %s, got '%s'", want,
				   sl_cfg_text(n));
	return sl_cfg_fail(c, sl_cfg_node_loc(n), "expected %s, got %s", want, kind(n));
}

/* Decimal or 0x-hexadecimal, optional sign; saturates at LLONG_MAX. */
bool
sl_cfg_parse_ll(const char *s, long long *out)
{
	unsigned long long v = 0;
	unsigned int base = 10;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v <= (unsigned long long)LLONG_MAX)
			v = v * base + d;
	}
	if (v > (unsigned long long)LLONG_MAX)
		v = (unsigned long long)LLONG_MAX;
	*out = neg ? -(long long)v : (long long)v;
	return true;
}

int
sl_cfg_get_str(struct sl_cfg_ctx *c, yaml_node_t *n, char *buf, size_t size)
{
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "a string");
	if (strlen(sl_cfg_text(n)) != n->data.scalar.length)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "string contains a NUL character");
	if (n->data.scalar.length >= size)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "too long (%zu characters, max %zu)",
				   n->data.scalar.length, size - 1);
	memcpy(buf, sl_cfg_text(n), n->data.scalar.length + 1);
	return 0;
}

/* A name: 1..SL_NAME_MAX-1 of [A-Za-z0-9_.-]. */
int
sl_cfg_get_name(struct sl_cfg_ctx *c, yaml_node_t *n, char *buf)
{
	int rc = sl_cfg_get_str(c, n, buf, SL_NAME_MAX);

	if (rc)
		return rc;
	if (buf[0] == '\0' || buf[strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_.-")] != '\0')
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "invalid name '%s' (use 1-%d of A-Z a-z 0-9 _ . -)", buf,
				   SL_NAME_MAX - 1);
	return 0;
}

int
sl_cfg_get_int(struct sl_cfg_ctx *c, yaml_node_t *n, long long lo, long long hi, long long *out)
{
	if (n->type != YAML_SCALAR_NODE || !sl_cfg_parse_ll(sl_cfg_text(n), out))
		return sl_cfg_fail_type(c, n, "an integer");
	if (*out < lo || *out > hi)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s out of range %lld..%lld",
				   sl_cfg_text(n), lo, hi);
	return 0;
}

/* An integer, or a "lo-hi" string, each end within [min, max]. */
int
sl_cfg_get_range(struct sl_cfg_ctx *c, yaml_node_t *n, long long min, long long max, long long *lo,
	  long long *hi)
{
	const char *want = "an integer or a 'lo-hi' range";
	char buf[64], *dash;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.length >= sizeof(buf))
		return sl_cfg_fail_type(c, n, want);
	memcpy(buf, sl_cfg_text(n), n->data.scalar.length + 1);
	dash = strchr(buf + 1, '-');
	if (dash)
		*dash = '\0';
	if (!sl_cfg_parse_ll(buf, lo) || (dash && !sl_cfg_parse_ll(dash + 1, hi)))
		return sl_cfg_fail_type(c, n, want);
	if (!dash)
		*hi = *lo;
	if (*lo < min || *hi > max || *lo > max || *hi < min)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s out of range %lld..%lld",
				   sl_cfg_text(n), min, max);
	if (*lo > *hi)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "empty range '%s' (lo > hi)",
				   sl_cfg_text(n));
	return 0;
}

int
sl_cfg_get_bool(struct sl_cfg_ctx *c, yaml_node_t *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; n->type == YAML_SCALAR_NODE && i < SL_CFG_DIM(yes); i++) {
		if (strcasecmp(sl_cfg_text(n), yes[i]) == 0 ||
		    strcasecmp(sl_cfg_text(n), no[i]) == 0) {
			*out = strcasecmp(sl_cfg_text(n), yes[i]) == 0;
			return 0;
		}
	}
	return sl_cfg_fail_type(c, n, "a boolean (true or false)");
}

int
sl_cfg_get_enum(struct sl_cfg_ctx *c, yaml_node_t *n, const char *const *names, size_t count,
		int *out)
{
	char allowed[256] = "one of: ";
	size_t len = strlen(allowed);

	for (size_t i = 0; n->type == YAML_SCALAR_NODE && i < count; i++) {
		if (strcmp(sl_cfg_text(n), names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	for (size_t i = 0; i < count && len < sizeof(allowed); i++)
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s", i ? ", " : "",
					names[i]);
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, allowed);
	return sl_cfg_fail(c, sl_cfg_node_loc(n), "invalid value '%s' (expected %s)",
			   sl_cfg_text(n), allowed);
}

/* ---- containers ---- */

static yaml_node_t *
node_at(struct sl_cfg_ctx *c, int idx)
{
	return yaml_document_get_node(&c->doc, idx);
}

yaml_node_t *
sl_cfg_seq_item(struct sl_cfg_ctx *c, yaml_node_t *seq, size_t i)
{
	return node_at(c, seq->data.sequence.items.start[i]);
}

void *
sl_cfg_calloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

int
sl_cfg_get_seq(struct sl_cfg_ctx *c, yaml_node_t *n, size_t min, size_t max, size_t *len)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return sl_cfg_fail_type(c, n, "a list");
	*len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (*len < min)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "must not be empty");
	if (*len > max)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "too many entries (%zu, max %zu)", *len,
				   max);
	return 0;
}

int
sl_cfg_walk_map(struct sl_cfg_ctx *c, yaml_node_t *map, const struct sl_cfg_field *f, size_t nf,
		void *obj)
{
	yaml_node_t *vals[SL_CFG_MAX_FIELDS] = { NULL };
	yaml_node_pair_t *p, *q;
	size_t mark;
	int rc;

	if (nf > SL_CFG_MAX_FIELDS)
		return sl_cfg_fail(c, sl_cfg_node_loc(map), "internal: schema table too long");
	if (map->type != YAML_MAPPING_NODE)
		return sl_cfg_fail_type(c, map, "a mapping");
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key);
		size_t i;

		if (k->type != YAML_SCALAR_NODE)
			return sl_cfg_fail_type(c, k, "a string key");
		mark = sl_cfg_key_push(c, sl_cfg_text(k), 0);
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node_at(c, q->key);

			struct sl_cfg_loc first = sl_cfg_node_loc(k2);

			if (strcmp(sl_cfg_text(k), sl_cfg_text(k2)) == 0)
				return sl_cfg_fail(c, sl_cfg_node_loc(k),
						   "duplicate key '%s' (first at %s:%d:%d)",
						   sl_cfg_text(k), c->path, first.line, first.col);
		}
		for (i = 0; i < nf && strcmp(f[i].name, sl_cfg_text(k)) != 0; i++)
			;
		if (i == nf)
			return sl_cfg_fail(c, sl_cfg_node_loc(k), "unknown key '%s'",
					   sl_cfg_text(k));
		sl_cfg_key_pop(c, mark);
		vals[i] = node_at(c, p->value);
	}
	for (size_t i = 0; i < nf; i++) {
		if ((!vals[i] || is_null(vals[i])) && f[i].required)
			return sl_cfg_fail(c, sl_cfg_node_loc(map), "missing required key '%s'",
					   f[i].name);
		if (!vals[i] || is_null(vals[i]))
			continue;
		mark = sl_cfg_key_push(c, f[i].name, 0);
		rc = f[i].parse(c, vals[i], obj, &f[i]);
		if (rc)
			return rc;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

/* ---- generic field parsers ---- */

int
sl_cfg_parse_map(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	return sl_cfg_walk_map(c, n, f->sub, f->n_sub, (char *)obj + f->off);
}

int
sl_cfg_parse_uint(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	char *dst = (char *)obj + f->off;
	long long v;
	int rc = sl_cfg_get_int(c, n, f->lo, f->hi, &v);

	if (rc)
		return rc;
	if (f->size == sizeof(uint8_t))
		*(uint8_t *)dst = (uint8_t)v;
	else if (f->size == sizeof(uint16_t))
		*(uint16_t *)(void *)dst = (uint16_t)v;
	else if (f->size == sizeof(uint32_t))
		*(uint32_t *)(void *)dst = (uint32_t)v;
	else
		*(uint64_t *)(void *)dst = (uint64_t)v;
	return 0;
}

/* ---- entry points ---- */

/* Line and column (in bytes) of byte @p offset of @p f. */
static struct sl_cfg_loc
offset_loc(FILE *f, size_t offset)
{
	struct sl_cfg_loc loc = { 1, 1 };
	int ch;

	rewind(f);
	for (size_t i = 0; i < offset && (ch = getc(f)) != EOF; i++) {
		if (ch == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static int
syntax_error(struct sl_cfg_ctx *c, const yaml_parser_t *p, FILE *f)
{
	struct sl_cfg_loc loc;

	if (p->error == YAML_MEMORY_ERROR)
		return sl_cfg_fail_nomem(c);
	if (p->error == YAML_READER_ERROR) /* encoding: only a byte offset is known */
		loc = offset_loc(f, p->problem_offset);
	else
		loc = (struct sl_cfg_loc){ (int)p->problem_mark.line + 1,
					   (int)p->problem_mark.column + 1 };
	snprintf(c->key, sizeof(c->key), "syntax");
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		return sl_cfg_fail(c, loc, "%s (%s at %s:%zu:%zu)", p->problem, p->context, c->path,
				   p->context_mark.line + 1, p->context_mark.column + 1);
	return sl_cfg_fail(c, loc, "%s", p->problem ? p->problem : "unreadable input");
}

/* Load the one document of the file and walk it. */
/* Parse @p f as one YAML document into c->doc and walk its root. */
static int
load(struct sl_cfg_ctx *c, yaml_parser_t *p, FILE *f,
     int (*walk)(struct sl_cfg_ctx *c, yaml_node_t *root, void *arg), void *arg)
{
	yaml_document_t extra;
	yaml_node_t *root, *root2;
	int rc;

	if (!yaml_parser_load(p, &c->doc))
		return syntax_error(c, p, f);
	root = yaml_document_get_root_node(&c->doc);
	if (!root)
		return sl_cfg_fail(c, (struct sl_cfg_loc){ 1, 1 }, "empty file");
	if (!yaml_parser_load(p, &extra))
		return syntax_error(c, p, f);
	root2 = yaml_document_get_root_node(&extra);
	rc = root2 ? sl_cfg_fail(c, sl_cfg_node_loc(root2), "more than one YAML document") : 0;
	yaml_document_delete(&extra);
	if (rc)
		return rc;
	return walk(c, root, arg);
}

int
sl_cfg_load_file(struct sl_cfg_ctx *c, const char *path,
		 int (*walk)(struct sl_cfg_ctx *c, yaml_node_t *root, void *arg), void *arg)
{
	yaml_parser_t parser;
	struct stat st;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	rc = !f ? -errno : fstat(fileno(f), &st) ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
	if (rc) {
		snprintf(c->err->msg, sizeof(c->err->msg), "%s: cannot open: %s", path,
			 strerror(-rc));
		if (f)
			fclose(f);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(c->err->msg, sizeof(c->err->msg), "%s: out of memory", path);
		fclose(f);
		return -ENOMEM;
	}
	c->path = path;
	yaml_parser_set_input_file(&parser, f);
	rc = load(c, &parser, f, walk, arg);
	/* yaml_parser_load() frees the document itself when it fails */
	if (c->doc.nodes.start)
		yaml_document_delete(&c->doc);
	memset(&c->doc, 0, sizeof(c->doc));
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static int
walk_top(struct sl_cfg_ctx *c, yaml_node_t *root, void *arg)
{
	(void)arg;
	return sl_cfg_walk_top(c, root);
}

int
sl_config_load(const char *path, unsigned int flags, struct sl_cfg **out, struct sl_cfg_error *err)
{
	struct sl_cfg_error scratch;
	struct sl_cfg_ctx *c;
	int rc;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		c->cfg = calloc(1, sizeof(*c->cfg));
	if (!c || !c->cfg) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
		if (c)
			free(c->cfg);
		free(c);
		return -ENOMEM;
	}
	c->flags = flags;
	c->err = err;
	sl_cfg_set_defaults(c->cfg, path);
	rc = sl_cfg_load_file(c, path, walk_top, NULL);
	if (rc)
		sl_config_free(c->cfg);
	else
		*out = c->cfg;
	free(c->untagged_loc);
	free(c);
	return rc;
}

void
sl_config_free(struct sl_cfg *cfg)
{
	if (!cfg)
		return;
	for (uint16_t i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	for (uint16_t i = 0; i < cfg->n_tenants; i++) {
		struct sl_cfg_tenant *t = &cfg->tenants[i];

		for (uint16_t k = 0; k < t->n_pools; k++)
			free(t->pools[k].members);
		free(t->pools);
		free(t->vlans);
		free(t->qinq);
		free(t->vni);
		free(t->gre_key);
		free(t->erspan_id);
		free(t->inputs);
		free(t->rules);
		free(t->app_matches);
	}
	free(cfg->tenants);
	free(cfg->inputs);
	free(cfg->outputs);
	free(cfg);
}

/* *dst = a copy of n elements of src (NULL stays NULL); false if out of memory */
static bool
dup_array(void *dst, const void *src, size_t n, size_t size)
{
	void **d = dst;

	*d = NULL;
	if (src == NULL || n == 0)
		return true;
	*d = malloc(n * size);
	if (*d == NULL)
		return false;
	memcpy(*d, src, n * size);
	return true;
}

struct sl_cfg *
sl_config_dup(const struct sl_cfg *cfg)
{
	struct sl_cfg *c = malloc(sizeof(*c));
	bool ok;

	if (c == NULL)
		return NULL;
	*c = *cfg;
	/* nothing is shared: clear the pointers, then copy what they point to */
	c->n_eal_args = 0;
	c->inputs = NULL;
	c->outputs = NULL;
	c->tenants = NULL;
	ok = dup_array(&c->inputs, cfg->inputs, cfg->n_inputs, sizeof(*cfg->inputs)) &&
	     dup_array(&c->outputs, cfg->outputs, cfg->n_outputs, sizeof(*cfg->outputs));
	for (uint16_t i = 0; ok && i < cfg->n_eal_args; i++) {
		c->eal_args[i] = strdup(cfg->eal_args[i]);
		ok = c->eal_args[i] != NULL;
		c->n_eal_args += ok;
	}
	c->n_tenants = 0;
	if (ok)
		ok = dup_array(&c->tenants, cfg->tenants, cfg->n_tenants, sizeof(*cfg->tenants));
	for (uint16_t i = 0; ok && i < cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *s = &cfg->tenants[i];
		struct sl_cfg_tenant *t = &c->tenants[i];

		t->n_pools = 0;
		t->pools = NULL;
		t->vlans = NULL;
		t->qinq = NULL;
		t->vni = NULL;
		t->gre_key = NULL;
		t->erspan_id = NULL;
		t->inputs = NULL;
		t->rules = NULL;
		t->app_matches = NULL;
		c->n_tenants = i + 1; /* what sl_config_free() walks */
		ok = dup_array(&t->vlans, s->vlans, s->n_vlans, sizeof(*s->vlans)) &&
		     dup_array(&t->qinq, s->qinq, s->n_qinq, sizeof(*s->qinq)) &&
		     dup_array(&t->vni, s->vni, s->n_vni, sizeof(*s->vni)) &&
		     dup_array(&t->gre_key, s->gre_key, s->n_gre_key, sizeof(*s->gre_key)) &&
		     dup_array(&t->erspan_id, s->erspan_id, s->n_erspan_id,
			       sizeof(*s->erspan_id)) &&
		     dup_array(&t->inputs, s->inputs, s->n_inputs, sizeof(*s->inputs)) &&
		     dup_array(&t->rules, s->rules, s->n_rules, sizeof(*s->rules)) &&
		     dup_array(&t->app_matches, s->app_matches, s->n_app_rules,
			       sizeof(*s->app_matches)) &&
		     dup_array(&t->pools, s->pools, s->n_pools, sizeof(*s->pools));
		if (!ok)
			break;
		for (uint16_t k = 0; k < s->n_pools; k++)
			t->pools[k].members = NULL;
		t->n_pools = s->n_pools;
		for (uint16_t k = 0; ok && k < s->n_pools; k++)
			ok = dup_array(&t->pools[k].members, s->pools[k].members,
				       s->pools[k].n_members, sizeof(*s->pools[k].members));
	}
	if (!ok) {
		sl_config_free(c);
		return NULL;
	}
	return c;
}

void
sl_config_error(const struct sl_cfg *cfg, struct sl_cfg_error *err, struct sl_cfg_loc loc,
		const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_cfg_verror(err, cfg ? cfg->path : "?", loc, key, fmt, ap);
	va_end(ap);
}

static int
find_port(const struct sl_cfg_port *ports, uint16_t n, const char *name)
{
	for (uint16_t i = 0; name && i < n; i++)
		if (ports[i].name[0] && strcmp(ports[i].name, name) == 0)
			return i;
	return -1;
}

int
sl_config_find_output(const struct sl_cfg *cfg, const char *name)
{
	return find_port(cfg->outputs, cfg->n_outputs, name);
}

int
sl_config_find_input(const struct sl_cfg *cfg, const char *name)
{
	return find_port(cfg->inputs, cfg->n_inputs, name);
}
