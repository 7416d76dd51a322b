
# Issue 18: the approved media of the installed policy for `register --medium`.
complete -c airgapctl -n "__fish_seen_subcommand_from register" -l medium -r -f -a "(airgapctl media list --names 2>/dev/null)"
