
# Issue 18: `airgapctl register --medium <TAB>` offers the names of the approved media of the
# installed policy (`airgapctl media list --names`); everything else is clap's completion above.
_airgapctl_with_media() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" name
    if [[ "$prev" == "--medium" ]]; then
        COMPREPLY=()
        while IFS= read -r name; do
            [[ "$name" == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
        done < <(airgapctl media list --names 2>/dev/null)
        return 0
    fi
    _airgapctl "$@"
}
complete -F _airgapctl_with_media -o bashdefault -o default airgapctl
