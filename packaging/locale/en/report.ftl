# airgapctl report: the officer's inspection report (report.html) and its checks.

report-title = Technical inspection record of a computer
report-subtitle = The technical part of the inspection record, made by airgapd on the machine inspected. Everything below comes from report.json, which the machine key signed (report.sig).
report-section-header = 1. Inspection
report-agency = Inspecting agency
report-room = Room or office
report-officers = Inspectors
report-time = Date and time
report-legal-basis = Legal basis
report-seal = Seal number
report-not-given = (not given)
report-section-machine = 2. The machine
report-machine-id = Machine id
report-hostname = Host name
report-os = Operating system
report-installed = Installed
report-dmi-serial = Serial number (DMI)
report-nics = Network interfaces (MAC)
report-airgapd-version = airgapd version
report-policy = Policy
report-machine-key = Machine key
report-unknown = unknown
report-section-findings = 3. Findings
report-question = Question
report-answer = Answer
report-answer-found = Yes: { $count } traces (sources: { $sources })
report-section-evidence = 4. What was found
report-evidence-none = Nothing was found.
report-section-sources = 5. Evidence sources and the period they cover
report-source = Source
report-source-records = Records
report-source-from = From
report-source-to = To
report-source-absent = absent
report-section-record = 6. The record since airgapd
report-boots = Boots in the journal: { $count }, of which without airgapd: { $uncovered }
report-section-integrity = 8. Integrity
report-json-sha256 = SHA-256 of report.json
report-record-head = Machine record: chain head
report-record-seq = Machine record: sequence number
report-record-previous = Machine record: head for the next inspection (inspect --previous)
report-record = Machine record
report-record-verified = verified
report-record-broken = does NOT verify: { $problem }
report-record-absent = none
report-register-head = Copy register: chain head
report-journal-seal = Journal sealing
report-journal-seal-passed = verified with the officer's key
report-journal-seal-failed = FAILED verification with the officer's key
report-journal-seal-unchecked = not checked (no verification key given)
report-verify-how = Check with: airgapctl report verify DIR --key MACHINE_KEY.pub
report-signatures = Signatures
report-signature-officer = Inspector
report-signature-unit = Representative of the unit inspected

# airgapctl report and report verify: what the terminal says.
report-written = Report written to { $dir }: report.json, report.html, report.pdf, report.sig (signed with machine key { $fingerprint }).
report-out-missing = airgapctl report needs --out DIR: where to write report.json, report.html and report.sig.
report-failed = Could not make the report: { $error }
report-verified = { $dir }: the report verifies: report.sig is the signature of report.json by machine key { $fingerprint }, and report.html and report.pdf are its rendering.
report-verify-embedded-key = The key is the one report.json names: it shows the report was not changed after signing, not which machine made it. Give the machine's key from its enrolment with --key.
report-verify-failed = { $dir }: the report does NOT verify: { $error }
report-machine-key-line = Machine key { $fingerprint } ({ $file }):

# airgapctl report merge: the office summary.
merge-title = Inspection reports: office summary
merge-counts = { $reports } reports; { $bad } do not verify or contradict another report of the same machine.
merge-col-report = Report
merge-col-status = Verified
merge-col-machine = Machine
merge-col-date = Date
merge-col-policy = Policy
merge-col-findings = Findings
merge-col-refusals = Refusals
merge-col-register = Copy register entries
merge-col-record = Machine record (sequence:chain head)
merge-col-key = Machine key
merge-verified = verified
merge-not-verified = NOT VERIFIED (forged, altered or truncated): { $error }
merge-diverges = verified, but its machine record CONTRADICTS the report { $others } of the same machine
merge-policy-outdated = { $policy } (OLDER than the newest serial { $newest })
merge-findings-none = none found
merge-written = Office summary of { $reports } reports written to { $dir }: summary.html, summary.csv, summary.pdf; { $bad } do not verify or contradict another.
merge-col-loghost = Log host's journal (received, not signed)
merge-log-row = from the log host's journal, not a signed report
merge-log-source = { $dir }: { $name }
merge-log-view = { $name }: { $entries ->
    [one] 1 record
   *[other] { $entries } records
}, the last { $last }; { $refusals ->
    [one] 1 refusal
   *[other] { $refusals } refusals
}; { $lost ->
    [one] 1 loss
   *[other] { $lost } losses
} of isolation (from the log host's journal, not signed by the PC).
merge-log-never = { $name }: expected, but neither a report nor a journal on the log host.
merge-log-silent = SILENT: { $name } has sent nothing to the log host since { $last }, more than { $hours } hours.
merge-log-missing = MISSING: { $name } is expected, but there is neither its report nor its journal on the log host.
merge-log-counts = The log host's journals ({ $dirs }): { $machines } machines; { $silent } silent; { $missing } expected and missing.

# The timeline on the report's page.
report-section-timeline = 7. Timeline of the covered period
report-timeline-note = Red: boots without airgapd, airgapd lifted or tampered with, unapproved devices, network traces; blue: the rest.
report-timeline-boots = Boots
report-timeline-airgapd = airgapd record
report-timeline-devices = USB devices
report-timeline-network = Network traces
report-timeline-in-html = The timeline is drawn in report.html.
report-timeline-none = Nothing in the report is dated.
report-qr = QR code: report.json's SHA-256, the machine-id and the chain heads.
report-weekly-title = Refusals per week (the machine record's daily summaries)
report-weekly-none = The machine record holds no daily summary of refusals.
