/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-checks of the configuration: names shared by inputs and outputs,
 * PCI addresses and vdev strings, lcores against this machine's CPUs,
 * VLAN/QinQ/untagged ownership between VLAN tenants, tunnel id ownership
 * between tunnel tenants, the UDP ports of tunnels.
 */
#include "sl_config_pvt.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SL_PCI_SYSFS "/sys/bus/pci/devices"

/* Ethdev vdev drivers of DPDK 22.11 (RTE_PMD_REGISTER_VDEV under drivers/net). */
static const char *const vdev_drivers[] = {
	"net_af_packet", "net_af_xdp", "net_bonding", "net_failsafe",
	"net_kni", "net_memif", "net_mvneta", "net_mvpp2", "net_null",
	"net_pcap", "net_ring", "net_softnic", "net_tap", "net_tun",
	"net_vdev_netvsc", "net_vhost", "net_virtio_user",
};

static const struct sl_cfg_port *
port_at(const struct sl_cfg *cfg, unsigned int i)
{
	return i < cfg->n_inputs ? &cfg->inputs[i] : &cfg->outputs[i - cfg->n_inputs];
}

static unsigned int
n_ports(const struct sl_cfg *cfg)
{
	return (unsigned int)cfg->n_inputs + cfg->n_outputs;
}

int
sl_cfg_check_port_name(struct sl_cfg_ctx *c, const yaml_node_t *n,
		       const struct sl_cfg_port *self, const char *name)
{
	for (unsigned int i = 0; i < n_ports(c->cfg); i++) {
		const struct sl_cfg_port *p = port_at(c->cfg, i);

		if (p != self && strcmp(p->name, name) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "duplicate name '%s' (first at %s:%d:%d)", name,
					   c->path, p->loc.line, p->loc.col);
	}
	return 0;
}

/* Exactly @p n hex digits at *s, advanced past them. */
static bool
hex_digits(const char **s, int n, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		int ch = (unsigned char)**s;

		if (!isxdigit(ch))
			return false;
		*v = *v * 16 + (unsigned int)(isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10);
	}
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" into "dddd:bb:dd.f". */
static bool
pci_normalize(const char *text, char *out, size_t size)
{
	const char *s = text;
	unsigned int dom = 0, bus, dev, fn;
	bool long_form = strlen(text) == 12;

	if (long_form && (!hex_digits(&s, 4, &dom) || *s++ != ':'))
		return false;
	if (!hex_digits(&s, 2, &bus) || *s++ != ':' || !hex_digits(&s, 2, &dev) ||
	    *s++ != '.' || !hex_digits(&s, 1, &fn) || *s != '\0')
		return false;
	if (dev > 0x1f || fn > 7)
		return false;
	snprintf(out, size, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

int
sl_cfg_check_pci(struct sl_cfg_ctx *c, const yaml_node_t *n, struct sl_cfg_port *self,
		 const char *text)
{
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);
	char addr[SL_NAME_MAX], sysfs[sizeof(SL_PCI_SYSFS) + SL_NAME_MAX];
	struct stat st;

	if (!pci_normalize(text, addr, sizeof(addr)))
		return sl_cfg_fail(c, loc,
				   "invalid PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
				   text);
	for (unsigned int i = 0; i < n_ports(c->cfg); i++) {
		const struct sl_cfg_port *p = port_at(c->cfg, i);

		if (p != self && strcmp(p->pci, addr) == 0)
			return sl_cfg_fail(c, loc, "duplicate PCI device '%s' (first at %s:%d:%d)",
					   addr, c->path, p->loc.line, p->loc.col);
	}
	snprintf(sysfs, sizeof(sysfs), SL_PCI_SYSFS "/%s", addr);
	if (stat(sysfs, &st) != 0)
		return sl_cfg_fail(c, loc, "no such PCI device '%s'", addr);
	memcpy(self->pci, addr, sizeof(addr));
	return 0;
}

/* Length of the instance name: the vdev string up to its first ','. */
static size_t
vdev_instance_len(const char *vdev)
{
	return strcspn(vdev, ",");
}

int
sl_cfg_check_vdev(struct sl_cfg_ctx *c, const yaml_node_t *n, struct sl_cfg_port *self,
		  const char *text)
{
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);
	size_t inst = vdev_instance_len(text), drv = inst;
	bool known = false;

	if (inst == 0)
		return sl_cfg_fail(c, loc, "empty vdev name");
	while (drv > 0 && isdigit((unsigned char)text[drv - 1]))
		drv--;
	for (size_t i = 0; i < sizeof(vdev_drivers) / sizeof(vdev_drivers[0]); i++)
		if (strlen(vdev_drivers[i]) == drv && strncmp(vdev_drivers[i], text, drv) == 0)
			known = true;
	if (!known)
		return sl_cfg_fail(c, loc, "unknown vdev driver '%.*s'", (int)drv, text);
	for (unsigned int i = 0; i < n_ports(c->cfg); i++) {
		const struct sl_cfg_port *p = port_at(c->cfg, i);

		if (p != self && vdev_instance_len(p->vdev) == inst &&
		    strncmp(p->vdev, text, inst) == 0)
			return sl_cfg_fail(c, loc,
					   "duplicate vdev instance '%.*s' (first at %s:%d:%d)",
					   (int)inst, text, c->path, p->loc.line, p->loc.col);
	}
	snprintf(self->vdev, sizeof(self->vdev), "%s", text);
	return 0;
}

/* "0-3,8,10-11" */
static void
format_cpus(const cpu_set_t *set, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int cpu = 0; cpu < CPU_SETSIZE && len < size; cpu++) {
		int last = cpu;

		if (!CPU_ISSET(cpu, set))
			continue;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
			last++;
		len += (size_t)snprintf(buf + len, size - len, last > cpu ? "%s%d-%d" : "%s%d",
					len ? "," : "", cpu, last);
		cpu = last;
	}
}

int
sl_cfg_check_lcore(struct sl_cfg_ctx *c, const yaml_node_t *n, unsigned int lcore)
{
	char cpus[256];

	if (c->flags & SL_CFG_NO_LCORE_CPU_CHECK)
		return 0;
	if (!c->cpus_loaded) {
		CPU_ZERO(&c->cpus);
		c->cpus_known = sched_getaffinity(0, sizeof(c->cpus), &c->cpus) == 0;
		c->cpus_loaded = true;
	}
	if (!c->cpus_known || (lcore < CPU_SETSIZE && CPU_ISSET(lcore, &c->cpus)))
		return 0;
	format_cpus(&c->cpus, cpus, sizeof(cpus));
	return sl_cfg_fail(c, sl_cfg_node_loc(n),
			   "lcore %u does not exist (this machine has CPUs %s)", lcore, cpus);
}

/* Two tenants compete for a tag only when they share an input. */
static bool
inputs_meet(const struct sl_cfg_tenant *a, const struct sl_cfg_tenant *b)
{
	if (a->n_inputs == 0 || b->n_inputs == 0)
		return true;
	for (uint16_t i = 0; i < a->n_inputs; i++)
		for (uint16_t j = 0; j < b->n_inputs; j++)
			if (a->inputs[i] == b->inputs[j])
				return true;
	return false;
}

static bool
ranges_meet(const struct sl_cfg_vlan_range *a, const struct sl_cfg_vlan_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

int
sl_cfg_check_vlan(struct sl_cfg_ctx *c, const yaml_node_t *n, const struct sl_cfg_vlan_range *r)
{
	const struct sl_cfg_tenant *self = &c->cfg->tenants[c->tenant];
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);

	for (uint16_t k = 0; k < self->n_vlans; k++) {
		const struct sl_cfg_vlan_range *o = &self->vlans[k];

		if (ranges_meet(r, o))
			return sl_cfg_fail(c, loc, "duplicate VLAN %u (also at %s:%d:%d)",
					   r->lo > o->lo ? r->lo : o->lo, c->path, o->loc.line,
					   o->loc.col);
	}
	/* a tunnel tenant's vlan list filters its tunnel matches: it claims nothing */
	if (sl_config_tenant_is_tunnel(self))
		return 0;
	for (uint16_t i = 0; i < c->tenant; i++) {
		const struct sl_cfg_tenant *t = &c->cfg->tenants[i];

		if (!inputs_meet(self, t) || sl_config_tenant_is_tunnel(t))
			continue;
		for (uint16_t k = 0; k < t->n_vlans; k++) {
			const struct sl_cfg_vlan_range *o = &t->vlans[k];

			if (ranges_meet(r, o))
				return sl_cfg_fail(c, loc,
						   "VLAN %u overlaps tenant '%s' (%s:%d:%d)",
						   r->lo > o->lo ? r->lo : o->lo, t->name, c->path,
						   o->loc.line, o->loc.col);
		}
	}
	return 0;
}

int
sl_cfg_check_qinq(struct sl_cfg_ctx *c, const yaml_node_t *n, const struct sl_cfg_qinq *q)
{
	const struct sl_cfg_tenant *self = &c->cfg->tenants[c->tenant];
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);

	for (uint16_t k = 0; k < self->n_qinq; k++) {
		const struct sl_cfg_qinq *o = &self->qinq[k];

		if (o->outer == q->outer && o->inner == q->inner)
			return sl_cfg_fail(c, loc, "duplicate QinQ %u/%u (also at %s:%d:%d)",
					   q->outer, q->inner, c->path, o->loc.line, o->loc.col);
	}
	for (uint16_t i = 0; i < c->tenant; i++) {
		const struct sl_cfg_tenant *t = &c->cfg->tenants[i];

		if (!inputs_meet(self, t))
			continue;
		for (uint16_t k = 0; k < t->n_qinq; k++) {
			const struct sl_cfg_qinq *o = &t->qinq[k];

			if (o->outer == q->outer && o->inner == q->inner)
				return sl_cfg_fail(c, loc,
						   "QinQ %u/%u overlaps tenant '%s' (%s:%d:%d)",
						   q->outer, q->inner, t->name, c->path,
						   o->loc.line, o->loc.col);
		}
	}
	return 0;
}

int
sl_cfg_check_untagged(struct sl_cfg_ctx *c, const yaml_node_t *n)
{
	const struct sl_cfg_tenant *self = &c->cfg->tenants[c->tenant];

	for (uint16_t i = 0; i < c->tenant; i++) {
		const struct sl_cfg_tenant *t = &c->cfg->tenants[i];
		struct sl_cfg_loc o = c->untagged_loc[i];

		if (t->untagged && inputs_meet(self, t))
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "untagged overlaps tenant '%s' (%s:%d:%d)", t->name,
					   c->path, o.line, o.col);
	}
	return 0;
}

static const char *const id_names[SL_CFG_ID_KINDS] = {
	[SL_CFG_ID_VNI] = "VNI",
	[SL_CFG_ID_GRE_KEY] = "GRE key",
	[SL_CFG_ID_ERSPAN] = "ERSPAN id",
};

static bool
ids_meet(const struct sl_cfg_id_range *a, const struct sl_cfg_id_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

int
sl_cfg_check_tunnel_id(struct sl_cfg_ctx *c, const yaml_node_t *n, enum sl_cfg_id_kind k,
		       const struct sl_cfg_id_range *r)
{
	const struct sl_cfg_tenant *self = &c->cfg->tenants[c->tenant];
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);
	const struct sl_cfg_id_range *list;
	uint16_t len;

	list = sl_cfg_tenant_ids(self, k, &len);
	for (uint16_t j = 0; j < len; j++) {
		const struct sl_cfg_id_range *o = &list[j];

		if (ids_meet(r, o))
			return sl_cfg_fail(c, loc, "duplicate %s %" PRIu32 " (also at %s:%d:%d)",
					   id_names[k], r->lo > o->lo ? r->lo : o->lo, c->path,
					   o->loc.line, o->loc.col);
	}
	for (uint16_t i = 0; i < c->tenant; i++) {
		const struct sl_cfg_tenant *t = &c->cfg->tenants[i];

		if (!inputs_meet(self, t))
			continue;
		list = sl_cfg_tenant_ids(t, k, &len);
		for (uint16_t j = 0; j < len; j++) {
			const struct sl_cfg_id_range *o = &list[j];

			if (ids_meet(r, o))
				return sl_cfg_fail(c, loc,
						   "%s %" PRIu32 " overlaps tenant '%s' (%s:%d:%d)",
						   id_names[k], r->lo > o->lo ? r->lo : o->lo,
						   t->name, c->path, o->loc.line, o->loc.col);
		}
	}
	return 0;
}

int
sl_cfg_check_tunnel_ports(struct sl_cfg_ctx *c)
{
	const struct sl_cfg_tunnels *tu = &c->cfg->tunnels;

	for (uint8_t g = 0; g < tu->n_geneve_ports; g++) {
		for (uint8_t v = 0; v < tu->n_vxlan_ports; v++) {
			struct sl_cfg_loc gl = c->geneve_loc[g], vl = c->vxlan_loc[v];
			unsigned int port = tu->geneve_ports[g];

			if (port != tu->vxlan_ports[v])
				continue;
			/* at the explicit entry; the defaults have no place in the file */
			if (gl.line == 0) {
				sl_cfg_key_push(c, "vxlan_ports", 0);
				sl_cfg_key_push(c, NULL, v);
				return sl_cfg_fail(c, vl,
						   "port %u is also a GENEVE port (the default of "
						   "tunnels.geneve_ports)", port);
			}
			sl_cfg_key_push(c, "geneve_ports", 0);
			sl_cfg_key_push(c, NULL, g);
			if (vl.line == 0)
				return sl_cfg_fail(c, gl,
						   "port %u is also a VXLAN port (the default of "
						   "tunnels.vxlan_ports)", port);
			return sl_cfg_fail(c, gl, "port %u is also a VXLAN port (%s:%d:%d)", port,
					   c->path, vl.line, vl.col);
		}
	}
	return 0;
}
