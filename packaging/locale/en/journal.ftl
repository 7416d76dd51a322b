# The journal's translated fields (AIRGAP_SUMMARY_VI, AIRGAP_*_VI): the daemon always writes
# them from the Vietnamese file; this English file keeps the two languages in step (the
# English catalog entries print MESSAGE). How to add one: docs/translations.md.

journal-not-filled-in = not filled in
journal-action-refuse = refuse
journal-action-authorize = authorize
journal-action-deny = deny
journal-action-allow = allow
journal-result-success = success
journal-result-failure = failure
journal-state-active = active
journal-state-inactive = inactive
journal-state-unavailable = unavailable
journal-state-limited = active, limited on this kernel
journal-refusal-other = A refusal of kind { $kind }.
# A refusal record counting a crowd: processes of one user, or of other users, beyond those
# recorded one by one.
journal-folded-by-user = It counts { $count } refusals of other processes of uid { $uid }, beyond those recorded one by one; the process named is the last of them.
journal-folded-by-everyone = It counts { $count } refusals of processes of other users, beyond those recorded one by one; the process named is the last of them.
journal-device-arrival = The device { $name } was plugged in; decision: { $action }.
journal-device-departure = The device { $name } was removed.
journal-policy-loaded = Policy serial { $serial } is in force.
journal-policy-rejected = A policy file was refused; the previous policy stays in force. The technical detail (in English) is in the MESSAGE field.
journal-enforcement-state = Enforcement layer { $layer }: { $state }.
journal-interface-held = Network interface { $interface } came up before its blocking programs were attached: airgapd held it down for { $ms } ms until they were, then brought it up again.
journal-events-lost = The details of { $lost } refusals were lost; their counts were kept.
journal-uevents-lost = { $lost } device events from the kernel were lost before airgapd read them; every storage and USB device present was judged again.
journal-daemon-started = airgapd started.
journal-daemon-stopped = airgapd stopped.
journal-enforcement-lifted = The user with UID { $uid } (PID { $pid }) lifted the air gap.
journal-enforcement-tampered = Enforcement was changed behind airgapd's back ({ $object }); repair: { $result }.
journal-enforcement-upgraded = Enforcement of airgapd ABI { $before } replaced by ABI { $after } without a gap (package upgrade); refusals left unread by the old programs: { $lost }; result: { $result }.
journal-release-order = A release order was applied by the user with UID { $uid }: { $result }.
journal-policy-update = The user with UID { $uid } installed a signed policy update: { $result }.
journal-copy-register = Copy register record ({ $event }): { $document }.
journal-isolation-lost = The isolated LAN is no longer isolated (change: { $change }). The technical detail (in English) is in the MESSAGE field.
journal-copy-register-no-document = Copy register record ({ $event }).
journal-premounted-medium = The refused medium { $node } was mounted before airgapd started; making it unusable: { $result }.
journal-machine-record = Machine record line #{ $seq } written.
