"""The scenarios, in the order they run in the one boot (later ones use what earlier ones set
up: the installed package, the approved-media policy). Each module has TITLE and run(guest)."""

from . import (
    s1_boot,
    s2_network,
    s3_storage,
    s4_usb_devices,
    s5_journal,
    s6_resilience,
    s7_policy_update,
    s8_reboot,
    s9_exec,
    s10_capture,
    s11_userns,
    s12_enroll,
    s13_premount,
    s14_lifecycle,
    s15_desktop,
    s16_notice,
    s17_tpm,
    s18_seal,
    s19_restarts,
)

# s13_premount and s14_lifecycle stop the service and remove the package (lifecycle lifts
# enforcement): they run last, after everything that needs the installed package.
ALL = [s1_boot, s2_network, s3_storage, s4_usb_devices, s5_journal, s6_resilience,
       s7_policy_update, s8_reboot, s9_exec, s10_capture, s11_userns, s12_enroll, s15_desktop,
       s16_notice, s18_seal,
       s13_premount, s14_lifecycle]

# Run only when named (AIRGAPD_VM_ONLY=boot,tpm), after the others named: s19_restarts
# SIGKILLs the daemon 20 times (a stress, not in the matrix); s17_tpm reboots the
# guest twice with a software TPM the harness adds for it (only then). The default matrix names
# it on the 6.12 boot (tests/vm/run.sh); not in ALL, where it would have to run before premount
# and lifecycle.
OPTIONAL = [s17_tpm, s19_restarts]
