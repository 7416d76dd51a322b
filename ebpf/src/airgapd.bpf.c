/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one BPF object airgapd loads. Each enforcement area lives in its own file; they are
 * compiled as one unit so that every program shares one config, one set of counters and one
 * ring buffer without cross-object pinning.
 */
#include "common.h"
#include "network.bpf.c"
#include "devices.bpf.c"
#include "exec.bpf.c"
#include "media_ro.bpf.c"
#include "register.bpf.c"
#include "bpf_guard.bpf.c"

char LICENSE[] SEC("license") = "GPL";
