# bash completion for kigo-tui(1)                          -*- shell-script -*-
# Install as $(pkg-config --variable=completionsdir bash-completion)/kigo-tui.

_kigo_tui()
{
	local cur prev words cword cmd w i
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	case $prev in
	-c | --config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--since)
		COMPREPLY=($(compgen -W "$(date +%Y-%m-01 2>/dev/null)" -- "$cur"))
		return
		;;
	esac

	# The command, wherever it is (options may come before or after it).
	cmd=
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		-c | --config | --since) ((i++)) ;;
		login | logout | status | sync | doctor | stats) cmd=$w; break ;;
		esac
	done

	local opts="-c --config -v --verbose -h --help"
	case $cmd in
	login) opts="$opts --no-qr" ;;
	status) opts="$opts --json" ;;
	stats) opts="$opts --since --json" ;;
	logout | sync | doctor) ;;
	*) opts="$opts --offline --version" ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "login logout status sync doctor stats" -- "$cur"))
	fi
} &&
	complete -F _kigo_tui kigo-tui
