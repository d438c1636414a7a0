# bash completion for nsnet(8)                                 -*- shell-script -*-
# Installed as $(PREFIX)/share/bash-completion/completions/nsnet; or source it.
# Completes commands (read from `nsnet --help`), options, lab names, node names
# and NODE:IF of the running labs (from `nsnet __complete`, which reads
# /run/nsnet as root, a user's own labs through its rootless holder), lab
# files and namespace names. Needs nothing from the
# bash-completion package.

# The words of the line up to the cursor, split at blanks only (COMP_WORDS
# also splits at ':', which NODE:IF contains): _nsnet_words, the current one
# _nsnet_word (may be empty).
_nsnet_split() {
	local line=${COMP_LINE:0:COMP_POINT}
	read -r -a _nsnet_words <<< "$line"
	if [[ -z $line || $line == *[[:space:]] ]]; then
		_nsnet_words+=("")
	fi
	_nsnet_word=${_nsnet_words[${#_nsnet_words[@]}-1]}
}

# COMPREPLY from candidates $1 (newline separated) matching the current word;
# with ':' in COMP_WORDBREAKS, readline replaces only what follows the last ':'
_nsnet_reply() {
	local IFS=$'\n' c w=$_nsnet_word
	COMPREPLY=()
	for c in $1; do
		[[ $c == "$w"* ]] || continue
		if [[ $w == *:* && $COMP_WORDBREAKS == *:* ]]; then
			COMPREPLY+=("${c#"${w%:*}":}")
		else
			COMPREPLY+=("$c")
		fi
	done
}

_nsnet_files() {	# lab files (*.yaml, *.yml) and directories
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -X '!*.yaml' -- "$_nsnet_word") $(compgen -f -X '!*.yml' -- "$_nsnet_word")
		   $(compgen -d -- "$_nsnet_word"))
	compopt -o filenames 2> /dev/null
}

_nsnet() {
	local nsnet=${COMP_WORDS[0]} i n cmd= sub= lab= npos=0 w cur prev
	_nsnet_split
	n=$((${#_nsnet_words[@]} - 1))	# index of the current word
	cur=$_nsnet_word
	prev=${_nsnet_words[n-1]}

	for ((i = 1; i < n; i++)); do
		w=${_nsnet_words[i]}
		case $w in
		--netns-dir) ((i++)); continue ;;
		-*) continue ;;
		esac
		cmd=$w
		break
	done
	if [[ -z $cmd ]]; then
		if [[ $prev == --netns-dir ]]; then
			COMPREPLY=($(compgen -d -- "$cur")); return
		fi
		local cmds
		cmds=$("$nsnet" --help 2> /dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
		_nsnet_reply "$cmds"$'\n'"-j"$'\n'"--json"$'\n'"--netns-dir"$'\n'"--help"$'\n'"--version"
		return
	fi
	# -l LAB, the subcommand, how many positional words precede the current one
	for ((i++; i < n; i++)); do
		w=${_nsnet_words[i]}
		case $w in
		-l) lab=${_nsnet_words[i+1]}; ((i++)) ;;
		-w|-c|--topo|--bridge|--ip|--gw|-p|--hostname|--name|-e|--env|--workdir|--range|-W|--neigh|--count|--timeout) ((i++)) ;;
		--) npos=99 ;;
		-*) ;;
		*) [[ $npos == 0 ]] && sub=$w
		   ((npos++)) ;;
		esac
	done
	case $prev in
	-l) _nsnet_reply "$("$nsnet" __complete labs 2> /dev/null)"; return ;;
	-w|--workdir) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2> /dev/null; return ;;
	--topo) _nsnet_reply $'star,\nlinear,\ntree,'; compopt -o nospace 2> /dev/null; return ;;
	--neigh) _nsnet_reply $'static\ndynamic\nauto'; return ;;
	-c|--bridge|--ip|--gw|-p|--hostname|--name|-e|--env|--range|-W|--count|--timeout) return ;;
	esac
	[[ $npos -ge 99 ]] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
	case $cmd in
	up|validate|graph|sandbox)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'--topo\n-q\n--help'
		elif [[ $cmd == graph ]]; then
			_nsnet_files; COMPREPLY+=($(compgen -W "$("$nsnet" __complete labs 2> /dev/null)" -- "$cur"))
		else
			_nsnet_files
		fi ;;
	down|status|gc)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-q\n-j\n--help'
		else
			_nsnet_reply "$("$nsnet" __complete labs 2> /dev/null)"
			[[ $cmd == down ]] && { local r=("${COMPREPLY[@]}"); _nsnet_files; COMPREPLY+=("${r[@]}"); }
		fi ;;
	exec|logs)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n--help'
		elif [[ $npos == 0 ]]; then
			_nsnet_reply "$("$nsnet" __complete nodes "$lab" 2> /dev/null)"
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi ;;
	capture)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n-w\n-c\n--help'
		elif [[ $npos == 0 ]]; then
			_nsnet_reply "$("$nsnet" __complete ifaces "$lab" 2> /dev/null)"
		else
			_nsnet_reply $'icmp\nicmp6\narp\ntcp\nudp\nport\nhost\nnet\nand\nor\nnot\nether\nip\nip6\nvlan'
		fi ;;
	link)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n-j\n--help'
		elif [[ $npos == 0 ]]; then
			_nsnet_reply $'show\nset'
		elif [[ $npos == 1 ]]; then
			_nsnet_reply "$("$nsnet" __complete ifaces "$lab" 2> /dev/null)"
		elif [[ $sub == set && $(( npos % 2 )) == 0 ]]; then
			_nsnet_reply $'up\ndown\nclear\nrate\ndelay\njitter\nloss\nduplicate\ncorrupt\nlimit'
		fi ;;
	pingall)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n-j\n-W\n--segment\n--neigh\n--help'
		else
			_nsnet_reply "$("$nsnet" __complete labs 2> /dev/null)"
		fi ;;
	events)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n-j\n--json\n--count\n--timeout\n--help'
		else
			_nsnet_reply "$("$nsnet" __complete labs 2> /dev/null)"
		fi ;;
	diff)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n-j\n--topo\n--help'
		else
			_nsnet_files
		fi ;;
	forward)
		if [[ $npos == 0 ]]; then
			_nsnet_reply $'add\ndel\nlist'
		elif [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n--range\n-j\n--help'
		fi ;;
	run)
		if [[ $cur == -* ]]; then
			_nsnet_reply $'-l\n--bridge\n--ip\n--gw\n-p\n--hostname\n--name\n-e\n--env\n-w\n--workdir\n--help\n--'
		fi ;;
	rootless)
		if [[ $npos == 0 ]]; then
			_nsnet_reply $'status\nexec\nstop'
		elif [[ $sub == exec ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
		elif [[ $sub == stop ]]; then
			_nsnet_reply '--force'
		elif [[ $sub == status ]]; then
			_nsnet_reply '-j'
		fi ;;
	ns)
		if [[ $npos == 0 ]]; then
			_nsnet_reply $'add\ndel\nlist\nexec\npids\nidentify\nattach'
		else
			case $sub:$npos in
			del:*|exec:1|pids:1|attach:1)
				_nsnet_reply "$("$nsnet" ns list 2> /dev/null | awk '{print $1}')" ;;
			exec:*)
				COMPREPLY=($(compgen -c -- "$cur")) ;;
			esac
		fi ;;
	esac
}
complete -F _nsnet nsnet
