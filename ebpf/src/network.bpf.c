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
 *     created in, and is not covered: that is the scope's definition, not a gap). Attached
 *     for a cgroup scope and in LAN mode only: with a whole-machine scope layer 4 is on every
 *     other interface, and these would only cost every loopback packet a run.
 *  4. interface programs (TCX egress/ingress) on every non-loopback interface: frames that no
 *     socket hook sees (AF_PACKET, a task outside inet). Egress is attributed to the sending
 *     socket's cgroup; ingress cannot be attributed to a task, so it is dropped only when the
 *     scope is the whole machine.
 *
 * In LAN mode (the isolated-lan profile) layers 2 to 4 also let through exactly the traffic of
 * the declared LAN: its peers (airgap_lan_peers), over the LAN's own interface, both ways, with
 * one longest-prefix lookup per decision. Layer 4 lets ARP and IPv6 neighbour discovery for
 * those peers through on that interface, and nothing else: no DHCP (addresses are static, so the
 * LAN's shape is the policy's, not a server's), no router advertisements, no multicast. See
 * docs/isolated-lan.md.
 *
 * cgroup/setsockopt (before the LSM section) refuses the socket options that send around layer
 * 4 (PACKET_QDISC_BYPASS, AF_XDP's UMEM and rings) and, in a cgroup scope, multicast joins.
 *
 * With BPF LSM, lsm/socket_create (near the end of this file) adds every other family.
 * The cgroup programs are attached to the scope cgroup only, so being called means being in
 * scope: they need no scope check of their own.
 */

#include "kernel_types.h"

#define LOOPBACK_IFINDEX 1 /* lo is the first device of every network namespace */
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD
#define ETH_HLEN 14
#define IPPROTO_ICMPV6 58
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define TC_ACT_UNSPEC (-1) /* TCX_NEXT: let the next program (or the stack) decide */
#define TC_ACT_SHOT 2

_Static_assert(sizeof(struct airgap_lan_key) == AIRGAP_LAN_KEY_SIZE, "airgap_lan_key layout");

/* Addresses this machine may bind to in LAN mode: the LAN subnets. Value: the LAN's ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, AIRGAP_LAN_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct airgap_lan_key);
	__type(value, __u32);
} airgap_lan_local SEC(".maps");

/* Hosts this machine may talk to in LAN mode. Value: the ifindex they must be reached over. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, AIRGAP_LAN_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct airgap_lan_key);
	__type(value, __u32);
} airgap_lan_peers SEC(".maps");

_Static_assert(sizeof(struct airgap_log_host) == AIRGAP_LOG_HOST_SIZE, "airgap_log_host layout");

/* The office's log host: who may reach it, on which port (see airgapd_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct airgap_log_host);
} airgap_log_host SEC(".maps");

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

/* The net mode bits; 0 (nothing) without a config. */
static __always_inline __u32 net_mode(void)
{
	const struct airgap_config *cfg = config();
	return cfg ? cfg->net_mode : AIRGAP_NET_NONE;
}

/* An IPv4 address as the LAN tries key it: IPv4-mapped, all 128 bits significant. */
static __always_inline void lan_key4(struct airgap_lan_key *k, __u32 addr_be)
{
	__u32 *w = (__u32 *)k->addr;

	k->prefixlen = 128;
	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = addr_be;
}

static __always_inline void lan_key6(struct airgap_lan_key *k, const __u32 a[4])
{
	__u32 *w = (__u32 *)k->addr;

	k->prefixlen = 128;
	w[0] = a[0];
	w[1] = a[1];
	w[2] = a[2];
	w[3] = a[3];
}

/* The ifindex a LAN address must be used over, or 0 when it is no LAN's. The one lookup of the
 * hot path. */
static __always_inline __u32 lan_ifindex(void *trie, const struct airgap_lan_key *k)
{
	__u32 *ifindex = bpf_map_lookup_elem(trie, k);
	return ifindex ? *ifindex : 0;
}

/* The log host entry when there is one that can be reached now: a port, a cgroup that exists,
 * the LAN's interface present. NULL otherwise. */
static __always_inline const struct airgap_log_host *log_host(void)
{
	__u32 zero = 0;
	const struct airgap_log_host *h = bpf_map_lookup_elem(&airgap_log_host, &zero);

	if (!h || h->port == 0 || h->cgroup_id == 0 || h->ifindex == 0)
		return NULL;
	return h;
}

/* Is this full-length LAN key the log host's address, and `port` its port? */
static __always_inline int is_log_host(const struct airgap_log_host *h,
				       const struct airgap_lan_key *k, __u16 port)
{
	const __u32 *a = (const __u32 *)k->addr;
	const __u32 *b = (const __u32 *)h->addr;

	return port == h->port && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
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
	const struct airgap_config *cfg = config();
	struct airgap_event ev, *e;

	/* Reached only for AF_INET/AF_INET6; other families are lsm/socket_create's. The LAN,
	 * like loopback, is reached with TCP and UDP only: ping and raw sockets pass no sockaddr
	 * hook, so their peers could not be checked before anything is sent. */
	if (cfg && cfg->net_mode != AIRGAP_NET_NONE &&
	    loopback_allows_socket(sk->type, sk->protocol)) {
		/* A cgroup scope in loopback mode: bind the socket to lo. listen() or a send without
		 * bind() autobinds to the wildcard, which no hook sees; arrivals on other interfaces
		 * would then be dropped silently by the skb hook instead of refused like those for a
		 * closed port, telling a remote host which ports the scope uses. Bound to lo, the
		 * socket is simply not there for them. Unprivileged tasks cannot rebind it
		 * (SO_BINDTODEVICE on a bound socket needs CAP_NET_RAW). A whole-machine scope drops
		 * every arriving frame at the interfaces, and the LAN mode needs its interface. */
		if (cfg->net_mode == AIRGAP_NET_LOOPBACK && cfg->scope_level != 0 &&
		    sk->bound_dev_if == 0)
			sk->bound_dev_if = LOOPBACK_IFINDEX;
		return CG_ALLOW;
	}

	e = deny_begin(&ev, AIRGAP_KIND_NET_CREATE);
	if (e) {
		fill_task(e);
		e->family = sk->family;
		e->sock_type = sk->type;
		e->protocol = sk->protocol;
		deny_send(e);
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

/*
 * Whether the LAN allows this address for this operation. connect/send: a peer whose interface
 * is present. bind: an address of a LAN subnet, or the wildcard. A wildcard bind lets a LAN
 * service listen before its address is configured and on every address it has, and opens
 * nothing: what arrives for it is judged per packet by the skb hooks (peer and interface), and
 * what it sends by the same hooks. Connect and send to the wildcard mean "this host", which is
 * not the LAN.
 */
static __always_inline int lan_allows(__u16 kind, const struct airgap_lan_key *k, int wildcard)
{
	if (kind == AIRGAP_KIND_NET_BIND)
		return wildcard || bpf_map_lookup_elem(&airgap_lan_local, k) != NULL;
	return lan_ifindex(&airgap_lan_peers, k) != 0;
}

/*
 * A send on a connected UDP socket normally passes no sendmsg hook (the connect hook judged
 * the peer). With a control message (IP_TOS, IPV6_TCLASS, UDP_SEGMENT, IP_PKTINFO, ...) the
 * kernel runs the hook all the same, but without an address: user_family is 0 (AF_UNSPEC) and
 * user_ip4/user_ip6 are zero. The datagram then goes to the socket's connected peer, so that is
 * what is judged and recorded: a record never names an address that was not used.
 */
static __always_inline int connected_peer(struct bpf_sock_addr *ctx, const int v6, __u32 a6[4],
					  __u32 *a4, __u16 *port)
{
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return 0;
	/* volatile: each a load at a constant offset from sk, as the verifier requires (no
	 * pointer arithmetic on a socket pointer). */
	if (v6) {
		a6[0] = *(volatile __u32 *)&sk->dst_ip6[0];
		a6[1] = *(volatile __u32 *)&sk->dst_ip6[1];
		a6[2] = *(volatile __u32 *)&sk->dst_ip6[2];
		a6[3] = *(volatile __u32 *)&sk->dst_ip6[3];
	} else {
		*a4 = *(volatile __u32 *)&sk->dst_ip4;
	}
	*port = bpf_ntohs(*(volatile __u16 *)&sk->dst_port);
	return 1;
}

static __always_inline int check_addr(struct bpf_sock_addr *ctx, __u16 kind, const int v6)
{
	struct airgap_lan_key k;
	struct airgap_event ev, *e;
	__u32 mode = net_mode();
	__u32 a6[4] = {};
	__u32 a4 = 0;
	__u16 port = 0;
	int loopback, wildcard, peer = 0;

	/* Only the send hooks can be reached without an address (a connected socket). */
	if (kind == AIRGAP_KIND_NET_SEND && ctx->user_family == 0)
		peer = connected_peer(ctx, v6, a6, &a4, &port);
	if (v6) {
		if (!peer)
			read_ip6(ctx, a6);
		loopback = ipv6_is_loopback(a6);
	} else {
		if (!peer)
			a4 = ctx->user_ip4;
		loopback = ipv4_is_loopback(a4);
	}
	if (loopback && (mode & AIRGAP_NET_LOOPBACK))
		return CG_ALLOW;
	/* The LAN key only off loopback, in LAN mode: loopback traffic never builds it. */
	if (!loopback && (mode & AIRGAP_NET_LAN)) {
		if (v6) {
			wildcard = (a6[0] | a6[1] | a6[2] | a6[3]) == 0;
			lan_key6(&k, a6);
		} else {
			wildcard = a4 == 0;
			lan_key4(&k, a4);
		}
		if (lan_allows(kind, &k, wildcard))
			return CG_ALLOW;
		/* The log host: connect and send only, from the upload service's own cgroup (the
		 * calling task's: a socket handed to another process is judged by its packets below),
		 * to its one port. */
		if (kind != AIRGAP_KIND_NET_BIND) {
			const struct airgap_log_host *h = log_host();
			__u16 dport = peer ? port : bpf_ntohs((__u16)ctx->user_port);

			if (h && is_log_host(h, &k, dport) &&
			    bpf_get_current_cgroup_id() == h->cgroup_id)
				return CG_ALLOW;
		}
	}

	e = deny_begin(&ev, kind);
	if (e) {
		fill_task(e);
		e->family = v6 ? AF_INET6 : AF_INET;
		e->sock_type = ctx->type;
		e->protocol = ctx->protocol;
		e->port = peer ? port : bpf_ntohs((__u16)ctx->user_port);
		if (v6)
			__builtin_memcpy(e->addr, a6, 16);
		else
			__builtin_memcpy(e->addr, &a4, 4);
		deny_send(e);
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

/* sendto/sendmsg with a destination on an unconnected UDP socket, and sendmsg with a control
 * message on a connected one (see connected_peer). */
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

/* LAN mode: the packet's peer (destination leaving, source arriving) is a LAN peer reached
 * over its LAN's interface. A peer's packet on any other interface (a second NIC, a route
 * someone added) is refused like every other packet. */
static __always_inline int skb_lan_allows(struct __sk_buff *skb, int egress)
{
	struct airgap_lan_key k;
	__u32 a[4];

	if (!(net_mode() & AIRGAP_NET_LAN))
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, egress ? 16 : 12, &a[3], 4))
			return 0;
		lan_key4(&k, a[3]);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, egress ? 24 : 8, a, 16))
			return 0;
		lan_key6(&k, a);
	} else {
		return 0;
	}
	return lan_ifindex(&airgap_lan_peers, &k) == skb->ifindex;
}

/*
 * The peer key and port of a TCP or UDP packet (the peer's: destination leaving, source
 * arriving), from offset `l3` of the packet (0 for cgroup_skb, ETH_HLEN on the wire). 0 on
 * success; -1 for anything else, or an IPv6 packet with extension headers before TCP/UDP.
 */
static __always_inline int l4_peer(struct __sk_buff *skb, __u32 l3, int egress,
				   struct airgap_lan_key *k, __u16 *port)
{
	__u32 a[4];
	__u16 p;
	__u8 b[2];
	__u32 l4;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		/* b[0]: version and header length; protocol at 9. */
		if (bpf_skb_load_bytes(skb, l3, &b[0], 1) || bpf_skb_load_bytes(skb, l3 + 9, &b[1], 1))
			return -1;
		if (b[1] != IPPROTO_TCP && b[1] != IPPROTO_UDP)
			return -1;
		if (bpf_skb_load_bytes(skb, l3 + (egress ? 16 : 12), &a[3], 4))
			return -1;
		lan_key4(k, a[3]);
		l4 = l3 + (b[0] & 0x0f) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, l3 + 6, &b[1], 1))
			return -1;
		if (b[1] != IPPROTO_TCP && b[1] != IPPROTO_UDP)
			return -1;
		if (bpf_skb_load_bytes(skb, l3 + (egress ? 24 : 8), a, 16))
			return -1;
		lan_key6(k, a);
		l4 = l3 + 40;
	} else {
		return -1;
	}
	/* Both TCP and UDP start with the source port, then the destination port. */
	if (bpf_skb_load_bytes(skb, l4 + (egress ? 2 : 0), &p, 2))
		return -1;
	*port = bpf_ntohs(p);
	return 0;
}

/* The log host, for a packet of the upload service's socket: its address and port, over the
 * LAN's interface. bpf_skb_cgroup_id is the socket's cgroup, where it was created. */
static __always_inline int skb_log_host_allows(struct __sk_buff *skb, int egress)
{
	const struct airgap_log_host *h;
	struct airgap_lan_key k;
	__u16 port;

	if (!(net_mode() & AIRGAP_NET_LAN))
		return 0;
	h = log_host();
	if (!h || skb->ifindex != h->ifindex)
		return 0;
	if (l4_peer(skb, 0, egress, &k, &port) != 0 || !is_log_host(h, &k, port))
		return 0;
	return bpf_skb_cgroup_id(skb) == h->cgroup_id;
}

static __always_inline int check_skb(struct __sk_buff *skb, __u16 kind, int egress)
{
	struct airgap_event *e;

	if (skb->ifindex == LOOPBACK_IFINDEX)
		return CG_ALLOW;
	if (skb_lan_allows(skb, egress))
		return CG_ALLOW;
	if (skb_log_host_allows(skb, egress))
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

/* Is this (IPv6) destination a solicited-node multicast group, ff02::1:ffXX:XXXX? */
static __always_inline int ipv6_solicited_node(const __u32 a[4])
{
	return a[0] == bpf_htonl(0xff020000) && a[1] == 0 && a[2] == bpf_htonl(1) &&
	       (a[3] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000);
}

/*
 * The LAN peer a frame is exchanged with, as a trie key; -1 for a frame that has none (every
 * protocol but IPv4, IPv6 and ARP, VLAN-tagged frames). Interface program data starts at the
 * Ethernet header.
 *  - IPv4, IPv6: the destination when leaving, the source when arriving.
 *  - ARP (Ethernet/IPv4 only): the target address when leaving (whom we ask, or answer), the
 *    sender's when arriving. So we resolve and answer exactly the peers.
 *  - IPv6 neighbour solicitation we send to a solicited-node group: its target address (the
 *    peer being resolved). Every other IPv6 multicast (router solicitations, MLD) has no peer.
 */
static __always_inline int wire_peer(struct __sk_buff *skb, int egress, struct airgap_lan_key *k)
{
	__u32 a[4];
	__u8 b;

	if (skb->vlan_present)
		return -1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + (egress ? 16 : 12), &a[3], 4))
			return -1;
		lan_key4(k, a[3]);
		return 0;
	}
	if (skb->protocol == bpf_htons(ETH_P_ARP)) {
		/* htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4: sender IP at 14, target IP at 24. */
		__u8 h[8];

		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, sizeof(h)))
			return -1;
		if (h[0] != 0 || h[1] != 1 || h[2] != 0x08 || h[3] != 0 || h[4] != 6 || h[5] != 4)
			return -1;
		if (bpf_skb_load_bytes(skb, ETH_HLEN + (egress ? 24 : 14), &a[3], 4))
			return -1;
		lan_key4(k, a[3]);
		return 0;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + (egress ? 24 : 8), a, 16))
			return -1;
		if (egress && ipv6_solicited_node(a)) {
			/* next header 58 directly (no extension header), ICMPv6 type 135. */
			if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &b, 1) || b != IPPROTO_ICMPV6)
				return -1;
			if (bpf_skb_load_bytes(skb, ETH_HLEN + 40, &b, 1) || b != ND_NEIGHBOR_SOLICIT)
				return -1;
			if (bpf_skb_load_bytes(skb, ETH_HLEN + 48, a, 16))
				return -1;
		}
		lan_key6(k, a);
		return 0;
	}
	return -1;
}

/* Interface programs are attached to non-loopback interfaces only, by the daemon. */
static __always_inline int wire_drop(struct __sk_buff *skb, __u16 kind,
				     const struct airgap_lan_key *peer)
{
	struct airgap_event *e = deny_event(kind);

	if (e) {
		e->cgroup_id = bpf_skb_cgroup_id(skb);
		e->ifindex = skb->ifindex;
		e->protocol = bpf_ntohs(skb->protocol);
		if (peer) {
			const __u32 *w = (const __u32 *)peer->addr;

			if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff)) {
				e->family = AF_INET;
				__builtin_memcpy(e->addr, &w[3], 4);
			} else {
				e->family = AF_INET6;
				__builtin_memcpy(e->addr, peer->addr, 16);
			}
		}
		bpf_ringbuf_submit(e, 0);
	}
	return TC_ACT_SHOT;
}

/*
 * A frame exchanged with the log host (`peer`, as wire_peer found it) on the LAN's interface:
 *  - address resolution (ARP, IPv6 neighbour solicitation and advertisement): it carries no
 *    data, and without it the upload's first packet never leaves;
 *  - TCP/UDP of its port: leaving, only from the upload service's socket; arriving (a
 *    whole-machine scope, where no socket is known yet), only from that port: the cgroup_skb
 *    ingress hook then refuses it for any socket but the upload service's.
 */
static __always_inline int wire_log_host_allows(struct __sk_buff *skb, int egress,
						const struct airgap_lan_key *peer)
{
	const struct airgap_log_host *h = log_host();
	struct airgap_lan_key k;
	__u16 port;
	__u8 b;

	if (!h || skb->ifindex != h->ifindex || !is_log_host(h, peer, h->port))
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_ARP))
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IPV6) &&
	    !bpf_skb_load_bytes(skb, ETH_HLEN + 6, &b, 1) && b == IPPROTO_ICMPV6) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 40, &b, 1))
			return 0;
		return b == ND_NEIGHBOR_SOLICIT || b == ND_NEIGHBOR_ADVERT;
	}
	if (l4_peer(skb, ETH_HLEN, egress, &k, &port) != 0 || !is_log_host(h, &k, port))
		return 0;
	return !egress || bpf_skb_cgroup_id(skb) == h->cgroup_id;
}

/* In LAN mode a frame with a LAN peer on that peer's interface passes; every other frame, and
 * every frame on every other interface, is dropped. */
static __always_inline int wire_judge(struct __sk_buff *skb, __u32 mode, __u16 kind, int egress)
{
	struct airgap_lan_key k;

	if (!(mode & AIRGAP_NET_LAN) || wire_peer(skb, egress, &k) != 0)
		return wire_drop(skb, kind, NULL);
	if (lan_ifindex(&airgap_lan_peers, &k) == skb->ifindex)
		return TC_ACT_UNSPEC;
	if (wire_log_host_allows(skb, egress, &k))
		return TC_ACT_UNSPEC;
	return wire_drop(skb, kind, &k);
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
	return wire_judge(skb, cfg->net_mode, AIRGAP_KIND_NET_WIRE_EGRESS, 1);
}

SEC("classifier/ingress")
int airgap_wire_ingress(struct __sk_buff *skb)
{
	const struct airgap_config *cfg = config();

	/* An arriving frame belongs to no task yet: only a whole-machine scope can drop it. */
	if (!cfg || cfg->scope_cgroup_id == 0 || cfg->scope_level != 0)
		return TC_ACT_UNSPEC;
	return wire_judge(skb, cfg->net_mode, AIRGAP_KIND_NET_WIRE_INGRESS, 0);
}

/*
 * cgroup/setsockopt: runs for every setsockopt(2) on a socket of the scope, whatever its family
 * (the one family-agnostic cgroup hook), before the kernel acts on it. It refuses the options
 * that open a way around the layers above:
 *  - SOL_PACKET PACKET_QDISC_BYPASS: AF_PACKET then sends through __dev_direct_xmit, which
 *    never runs TCX egress (layer 4). Plain AF_PACKET keeps working and is dropped there.
 *  - every SOL_XDP option (UMEM registration, fill/completion/RX/TX rings): an AF_XDP socket
 *    transmits by the same direct path, and cannot send without a UMEM and a TX ring.
 *  - multicast joins (IP_ADD_MEMBERSHIP, MCAST_JOIN_GROUP, ... of both families) when the scope
 *    is a cgroup: the kernel then sends IGMP/MLD reports carrying the chosen group, attributed
 *    to no socket of the scope, so the interface programs of a scoped trial let them out. With
 *    a whole-machine scope they drop those reports, and a join on lo stays on lo.
 * Where BPF LSM loads, AF_PACKET and AF_XDP are refused at socket() already (layer 5); this is
 * the layer that closes the direct paths where it does not.
 * Not seen: setsockopt from a 32-bit (compat) syscall, for which the kernel skips every
 * cgroup/setsockopt program; airgap_compat_setsockopt (at the end of this file) judges those
 * where the kernel loads BPF trampolines.
 */
#define SOL_IP 0
#define SOL_IPV6 41
#define SOL_PACKET 263
#define SOL_XDP 283
#define PACKET_QDISC_BYPASS 20
#define IP_ADD_MEMBERSHIP 35
#define IP_ADD_SOURCE_MEMBERSHIP 39
#define MCAST_JOIN_GROUP 42
#define MCAST_JOIN_SOURCE_GROUP 46
#define IPV6_ADD_MEMBERSHIP 20
#define IPV6_JOIN_ANYCAST 27

/* Is this multicast join refused? Only in a cgroup scope (see above). */
static __always_inline int join_refused(void)
{
	const struct airgap_config *cfg = config();

	return !cfg || cfg->scope_level != 0;
}

static __always_inline int sockopt_refused(int level, int name)
{
	switch (level) {
	case SOL_PACKET:
		return name == PACKET_QDISC_BYPASS;
	case SOL_XDP:
		return 1;
	case SOL_IP:
		if (name == IP_ADD_MEMBERSHIP || name == IP_ADD_SOURCE_MEMBERSHIP ||
		    name == MCAST_JOIN_GROUP || name == MCAST_JOIN_SOURCE_GROUP)
			return join_refused();
		return 0;
	case SOL_IPV6:
		if (name == IPV6_ADD_MEMBERSHIP || name == IPV6_JOIN_ANYCAST ||
		    name == MCAST_JOIN_GROUP || name == MCAST_JOIN_SOURCE_GROUP)
			return join_refused();
		return 0;
	}
	return 0;
}

/* One judgement, two programs: airgap_setsockopt, and airgap_setsockopt_reduced for kernels
 * whose cgroup/setsockopt programs get no bpf_get_current_pid_tgid or bpf_get_current_comm
 * (Debian 11's 5.10: the verifier refuses the full one with "unknown func
 * bpf_get_current_pid_tgid#14"). The daemon loads the full one and the reduced one only when the
 * verifier refuses it, and reports that its refusals are recorded without pid and name. The
 * refusals themselves are the same. */
static __always_inline int setsockopt_judge(struct bpf_sockopt *ctx, const int full)
{
	struct airgap_event ev, *e;
	struct bpf_sock *sk;
	int level = ctx->level;

	/* The common levels, SOL_SOCKET (1), IPPROTO_TCP (6), IPPROTO_UDP (17) and every other
	 * between 1 and 40, hold nothing refused: one unsigned compare sends them on. */
	if ((__u32)(level - 1) < SOL_IPV6 - 1)
		goto pass;
	if (!sockopt_refused(level, ctx->optname))
		goto pass;

	e = deny_begin(&ev, AIRGAP_KIND_NET_SOCKOPT);
	if (e) {
		fill_task_as(e, full);
		sk = ctx->sk;
		if (sk) {
			e->family = sk->family;
			e->sock_type = sk->type;
			e->protocol = sk->protocol;
		}
		e->opt_level = level;
		e->opt_name = ctx->optname;
		deny_send(e);
	}
	return CG_DENY;
pass:
	/* 0: the kernel uses the caller's own buffer, not a copy made for this program. */
	ctx->optlen = 0;
	return CG_ALLOW;
}

SEC("cgroup/setsockopt")
int airgap_setsockopt(struct bpf_sockopt *ctx)
{
	return setsockopt_judge(ctx, 1);
}

SEC("cgroup/setsockopt")
int airgap_setsockopt_reduced(struct bpf_sockopt *ctx)
{
	return setsockopt_judge(ctx, 0);
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

/* Is this socket() of a scoped task refused? Recorded when it is. `ret` is the answer so far. */
static __always_inline int socket_create_refused(int family, int type, int protocol, int kern,
						 int ret)
{
	struct airgap_event ev, *e;

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

	e = deny_begin(&ev, AIRGAP_KIND_NET_CREATE);
	if (e) {
		fill_task(e);
		e->family = family;
		e->sock_type = type;
		e->protocol = protocol;
		deny_send(e);
	}
	return -EPERM;
}

SEC("lsm/socket_create")
int BPF_PROG(airgap_lsm_socket_create, int family, int type, int protocol, int kern, int ret)
{
	return socket_create_refused(family, type, protocol, kern, ret);
}

/*
 * fmod_ret on security_socket_create: the same judgement where BPF LSM is not in the kernel's
 * active LSM list (Debian's default `lsm=`) but BPF trampolines exist (see the compat program
 * below for why the verifier allows fmod_ret on any security_* function). cgroup/sock_create
 * runs only in inet_create() and inet6_create(): without this, a task of the scope creates
 * AF_PACKET, AF_XDP, AF_VSOCK, Bluetooth, AF_QIPCRTR, AF_MCTP, CAN, NFC... sockets freely, and
 * some of those reach outside the machine by no network interface at all (vsock to the
 * hypervisor, HCI to a radio, QRTR to a modem, MCTP to a management controller), where the
 * interface programs cannot see them. Kernel sockets (kern) pass here as in the LSM program.
 *
 * The trampoline runs before the function's body: a refusal here skips the LSM hooks, so where
 * the BPF LSM program is attached too the refusal is recorded once, by this program. Loaded by
 * the daemon itself (daemon/src/network/compat.rs), never by aya (hence the fentry section).
 */
SEC("fentry/security_socket_create")
int BPF_PROG(airgap_fmod_socket_create, int family, int type, int protocol, int kern, int ret)
{
	return socket_create_refused(family, type, protocol, kern, ret);
}

/*
 * fmod_ret on security_socket_setsockopt: the 32-bit compat entry of setsockopt(2).
 *
 * The kernel runs no cgroup/setsockopt program for a setsockopt made through the compat entry
 * (an i386 program, or `int 0x80` from a 64-bit one): do_sock_setsockopt() skips them when
 * in_compat_syscall(). It does call security_socket_setsockopt() for both entries, and the
 * verifier lets BPF_MODIFY_RETURN programs attach to any security_* function whether or not BPF
 * LSM is in the active LSM list (it is an ftrace trampoline on the function itself, not an LSM
 * hook). So on every kernel with BTF and trampolines this program refuses, for compat calls only,
 * what the cgroup program refuses for native ones, with the same rules (sockopt_refused), and
 * records it as net.sockopt flagged AIRGAP_EVENT_COMPAT. Native calls pass untouched: the cgroup
 * program judges them, so no attempt is refused or recorded twice.
 *
 * Unlike the cgroup programs it runs for every task of the machine: the scope is checked before
 * anything is refused, as the LSM programs do.
 *
 * The section says fentry because aya 0.14 parses no fmod_ret section (an unknown one would fail
 * the whole object); aya never loads it. The daemon loads it itself as BPF_MODIFY_RETURN
 * (daemon/src/network/compat.rs), where the fourth argument is the return value so far.
 */
SEC("fentry/security_socket_setsockopt")
int BPF_PROG(airgap_compat_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct airgap_event ev, *e;
	struct sock *sk;

	/* An earlier refusal (another LSM, another program) stands. */
	if (ret)
		return ret;
	if (!in_compat_syscall())
		return 0;
	if ((__u32)(level - 1) < SOL_IPV6 - 1)
		return 0;
	if (!sockopt_refused(level, optname))
		return 0;
	if (!in_scope())
		return 0;

	e = deny_begin(&ev, AIRGAP_KIND_NET_SOCKOPT);
	if (e) {
		fill_task(e);
		e->flags = AIRGAP_EVENT_COMPAT;
		e->opt_level = level;
		e->opt_name = optname;
		if (sock) {
			e->sock_type = sock->type;
			sk = sock->sk;
			if (sk) {
				e->family = sk->__sk_common.skc_family;
				e->protocol = sk->sk_protocol;
			}
		}
		deny_send(e);
	}
	return -EPERM;
}
