/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The network air-gap. Four layers, each covering what the one before cannot see:
 *
 *  1. cgroup/sock_create: every AF_INET/AF_INET6 socket() of a scoped task (inet_create,
 *     inet6_create). Refuses all of them in NONE mode; in LOOPBACK mode refuses what the
 *     sockaddr hooks never see (raw and ICMP "ping" sockets) and every protocol but TCP/UDP.
 *  2. cgroup sock_addr (connect, bind, sendmsg; 4 and 6): the address a scoped socket uses,
 *     including TCP Fast Open and IPv4-mapped IPv6. Only loopback passes.
 *  3. cgroup_skb egress/ingress: packets of scoped inet sockets on any interface but lo,
 *     whatever path produced them (a socket passed in from outside keeps the cgroup it was
 *     created in, and is not covered: that is the scope's definition, not a gap).
 *  4. interface programs (TCX egress/ingress) on every non-loopback interface: frames that no
 *     socket hook sees (AF_PACKET, a task outside inet). Egress is attributed to the sending
 *     socket's cgroup; ingress cannot be attributed to a task, so it is dropped only when the
 *     scope is the whole machine.
 *
 * With BPF LSM, network_lsm.bpf.c adds socket creation for every other family.
 * The cgroup programs are attached to the scope cgroup only, so being called means being in
 * scope: they need no scope check of their own.
 */

#define LOOPBACK_IFINDEX 1 /* lo is the first device of every network namespace */
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TC_ACT_UNSPEC (-1) /* TCX_NEXT: let the next program (or the stack) decide */
#define TC_ACT_SHOT 2

static __always_inline int ipv4_is_loopback(__u32 addr_be)
{
	return (bpf_ntohl(addr_be) >> 24) == 127;
}

/* ::1, or ::ffff:127.0.0.0/104 (IPv4-mapped loopback). */
static __always_inline int ipv6_is_loopback(const __u32 a[4])
{
	if (a[0] != 0 || a[1] != 0)
		return 0;
	if (a[2] == 0)
		return a[3] == bpf_htonl(1);
	return a[2] == bpf_htonl(0xffff) && ipv4_is_loopback(a[3]);
}

static __always_inline int loopback_mode(void)
{
	const struct airgap_config *cfg = config();
	return cfg && cfg->net_mode == AIRGAP_NET_LOOPBACK;
}

/* Only plain TCP and UDP: their every address passes through the sockaddr hooks. */
static __always_inline int loopback_allows_socket(__u32 type, __u32 protocol)
{
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP;
	return 0;
}

SEC("cgroup/sock_create")
int airgap_sock_create(struct bpf_sock *sk)
{
	struct airgap_event *e;

	/* Reached only for AF_INET/AF_INET6; other families are network_lsm.bpf.c's. */
	if (loopback_mode() && loopback_allows_socket(sk->type, sk->protocol))
		return CG_ALLOW;

	e = deny_event(AIRGAP_KIND_NET_CREATE);
	if (e) {
		fill_task(e);
		e->family = sk->family;
		e->sock_type = sk->type;
		e->protocol = sk->protocol;
		bpf_ringbuf_submit(e, 0);
	}
	return CG_DENY;
}

/* user_ip6 may only be read by the "6" hooks and user_ip4 only by the "4" hooks, so the family
 * is a compile-time constant of each hook, never a runtime branch on ctx->user_family. */
static __always_inline void read_ip6(struct bpf_sock_addr *ctx, __u32 a6[4])
{
	/* One aligned word at a time, as the verifier requires. */
	a6[0] = ctx->user_ip6[0];
	a6[1] = ctx->user_ip6[1];
	a6[2] = ctx->user_ip6[2];
	a6[3] = ctx->user_ip6[3];
}

static __always_inline int check_addr(struct bpf_sock_addr *ctx, __u16 kind, const int v6)
{
	struct airgap_event *e;
	__u32 a6[4] = {};
	__u32 a4 = 0;
	int ok;

	if (v6) {
		read_ip6(ctx, a6);
		ok = ipv6_is_loopback(a6);
	} else {
		a4 = ctx->user_ip4;
		ok = ipv4_is_loopback(a4);
	}
	if (ok && loopback_mode())
		return CG_ALLOW;

	e = deny_event(kind);
	if (e) {
		fill_task(e);
		e->family = v6 ? AF_INET6 : AF_INET;
		e->sock_type = ctx->type;
		e->protocol = ctx->protocol;
		e->port = bpf_ntohs((__u16)ctx->user_port);
		if (v6)
			__builtin_memcpy(e->addr, a6, 16);
		else
			__builtin_memcpy(e->addr, &a4, 4);
		bpf_ringbuf_submit(e, 0);
	}
	return CG_DENY;
}

/* connect(2), and sendto(MSG_FASTOPEN) which connects through the same path. */
SEC("cgroup/connect4")
int airgap_connect4(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_CONNECT, 0);
}

SEC("cgroup/connect6")
int airgap_connect6(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_CONNECT, 1);
}

/* bind(2): a wildcard bind would accept traffic from every interface. */
SEC("cgroup/bind4")
int airgap_bind4(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_BIND, 0);
}

SEC("cgroup/bind6")
int airgap_bind6(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_BIND, 1);
}

/* sendto/sendmsg with a destination on an unconnected UDP socket. */
SEC("cgroup/sendmsg4")
int airgap_sendmsg4(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_SEND, 0);
}

SEC("cgroup/sendmsg6")
int airgap_sendmsg6(struct bpf_sock_addr *ctx)
{
	return check_addr(ctx, AIRGAP_KIND_NET_SEND, 1);
}

/* Copy the peer address of an IP packet into the event: destination when leaving, source when
 * arriving. cgroup_skb data starts at the network header. */
static __always_inline void skb_peer(struct __sk_buff *skb, struct airgap_event *e, int egress)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		e->family = AF_INET;
		bpf_skb_load_bytes(skb, egress ? 16 : 12, e->addr, 4);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		e->family = AF_INET6;
		bpf_skb_load_bytes(skb, egress ? 24 : 8, e->addr, 16);
	}
}

static __always_inline int check_skb(struct __sk_buff *skb, __u16 kind, int egress)
{
	struct airgap_event *e;

	if (skb->ifindex == LOOPBACK_IFINDEX)
		return CG_ALLOW;

	e = deny_event(kind);
	if (e) {
		e->cgroup_id = bpf_skb_cgroup_id(skb);
		e->uid = bpf_get_socket_uid(skb);
		e->ifindex = skb->ifindex;
		skb_peer(skb, e, egress);
		bpf_ringbuf_submit(e, 0);
	}
	return CG_DENY;
}

SEC("cgroup_skb/egress")
int airgap_skb_egress(struct __sk_buff *skb)
{
	return check_skb(skb, AIRGAP_KIND_NET_SKB_EGRESS, 1);
}

SEC("cgroup_skb/ingress")
int airgap_skb_ingress(struct __sk_buff *skb)
{
	return check_skb(skb, AIRGAP_KIND_NET_SKB_INGRESS, 0);
}

/* Interface programs are attached to non-loopback interfaces only, by the daemon. */
static __always_inline int wire_drop(struct __sk_buff *skb, __u16 kind)
{
	struct airgap_event *e = deny_event(kind);

	if (e) {
		e->cgroup_id = bpf_skb_cgroup_id(skb);
		e->ifindex = skb->ifindex;
		e->protocol = bpf_ntohs(skb->protocol);
		bpf_ringbuf_submit(e, 0);
	}
	return TC_ACT_SHOT;
}

SEC("classifier/egress")
int airgap_wire_egress(struct __sk_buff *skb)
{
	const struct airgap_config *cfg = config();

	/* Scope first: whole machine, or the sending socket's cgroup lies under the scope. */
	if (!cfg || cfg->scope_cgroup_id == 0)
		return TC_ACT_UNSPEC;
	if (cfg->scope_level != 0 &&
	    bpf_skb_ancestor_cgroup_id(skb, cfg->scope_level) != cfg->scope_cgroup_id)
		return TC_ACT_UNSPEC;
	return wire_drop(skb, AIRGAP_KIND_NET_WIRE_EGRESS);
}

SEC("classifier/ingress")
int airgap_wire_ingress(struct __sk_buff *skb)
{
	const struct airgap_config *cfg = config();

	/* An arriving frame belongs to no task yet: only a whole-machine scope can drop it. */
	if (!cfg || cfg->scope_cgroup_id == 0 || cfg->scope_level != 0)
		return TC_ACT_UNSPEC;
	return wire_drop(skb, AIRGAP_KIND_NET_WIRE_INGRESS);
}

/*
 * BPF LSM layer (loaded only where the kernel allows it; the daemon reports when it cannot).
 * security_socket_create sees every family, so here the air-gap also covers AF_PACKET,
 * AF_VSOCK, Bluetooth, CAN, XDP, TIPC, RDS and whatever a future kernel adds: only AF_UNIX,
 * AF_NETLINK and the inet families (judged by the cgroup hooks above) pass.
 */
#define AF_UNIX 1
#define AF_NETLINK 16
#define EPERM 1

SEC("lsm/socket_create")
int BPF_PROG(airgap_lsm_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct airgap_event *e;

	if (ret)
		return ret;
	/* Scope first: outside it, even AF_VSOCK (this VM's own control channel) must work. */
	if (!in_scope())
		return 0;
	/* Kernel-internal sockets (NFS, cifs, tunnels set up by root) are not a task's choice. */
	if (kern)
		return 0;
	if (family == AF_UNIX || family == AF_NETLINK || family == AF_INET || family == AF_INET6)
		return 0;

	e = deny_event(AIRGAP_KIND_NET_CREATE);
	if (e) {
		fill_task(e);
		e->family = family;
		e->sock_type = type;
		e->protocol = protocol;
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}
