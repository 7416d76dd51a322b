
# Issue 18: the approved media of the installed policy for `register --medium`.
(( $+functions[_airgapctl_media_names] )) ||
_airgapctl_media_names() {
    local -a names
    names=("${(@f)$(airgapctl media list --names 2>/dev/null)}")
    compadd -a names
}
