# bash completion for nicq(1); installed as
# share/bash-completion/completions/nicq by 'make install'.
#
# Completes commands, each command's options, and their values: models,
# vhost settings, profiles, accelerators, TAP versions, faults, and cases
# (asked of the nicq being completed: 'nicq list cases'); comma-separated
# lists (--model, --case, --inject) complete their last item.

_nicq_list_item() { # WORDS CUR: complete the last item of a comma list
	local words=$1 cur=$2 head="" last=$2
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		last=${cur##*,}
	fi
	local w
	COMPREPLY=()
	for w in $words; do
		[[ $w == "$last"* ]] && COMPREPLY+=("$head$w")
	done
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
}

_nicq() {
	# the word being completed, whole: bash splits it at '=' and ':'
	# (COMP_WORDBREAKS), which fault values and URIs contain
	local line=${COMP_LINE:0:COMP_POINT}
	local cur=${line##*[[:space:]]}
	local before=${line%"$cur"}
	before=${before%"${before##*[![:space:]]}"}
	local prev=${before##*[[:space:]]}
	local piece=${COMP_WORDS[COMP_CWORD]}
	local nicq=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]:-}

	_nicq_complete
	# bash replaces only its own last piece of the word
	if [[ $cur != "$piece" && $cur == *"$piece" ]]; then
		local strip=${cur%"$piece"} i
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$strip"}
		done
	fi
}

_nicq_complete() {
	local run_opts="--model --vhost --case --profile --config --results
		--connect --accel --tap-version --image --inject --junit
		--baseline --jobs --boot --shard --help"
	local faults="drop= drop-frag drop-over= vlan-rewrite= corrupt-tcp
		drop-mcast drop-udp= drop-tftp corrupt-icmp drop-reply=
		mcast-allmulti vlan-promisc arp-flux reload-no-unload bond-no-flap
		lacp-bridge lacp-l2-hash lacp-no-flap udp-blackhole host-stall icmp-blackhole icmp-ratelimit s4-fresh-boot hang="

	COMPREPLY=()
	if [[ $COMP_CWORD -eq 1 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "run list report compare merge cleanup build-image --version --help" -- "$cur")
		return
	fi
	case $prev in
	-m|--model)
		_nicq_list_item "rtl8139 e1000 virtio" "$cur"; return ;;
	-c|--case)
		_nicq_list_item "$("$nicq" list cases 2>/dev/null)" "$cur"
		return ;;
	--inject)
		if [[ ${cur##*,} == hang=* ]]; then
			_nicq_list_item "$("$nicq" list cases 2>/dev/null |
				sed 's/^/hang=/')" "$cur"
		else
			_nicq_list_item "$faults" "$cur"
		fi
		return ;;
	--vhost)
		mapfile -t COMPREPLY < <(compgen -W "off on both" -- "$cur"); return ;;
	-p|--profile)
		mapfile -t COMPREPLY < <(compgen -W "quick full" -- "$cur"); return ;;
	--accel)
		mapfile -t COMPREPLY < <(compgen -W "auto tcg kvm" -- "$cur"); return ;;
	--tap-version)
		mapfile -t COMPREPLY < <(compgen -W "13 14" -- "$cur"); return ;;
	--connect)
		mapfile -t COMPREPLY < <(compgen -W "qemu:///system" -- "$cur"); return ;;
	--config|--junit)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
	--shard)
		return ;;	# I/N: nothing to offer
	-t|--tolerance)
		mapfile -t COMPREPLY < <(compgen -W "duration= boot= throughput= knee=" -- "$cur")
		[[ ${#COMPREPLY[@]} -eq 1 ]] && compopt -o nospace 2>/dev/null
		return ;;
	-r|--results|--image|--baseline)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	esac
	case $cmd in
	run)
		mapfile -t COMPREPLY < <(compgen -W "$run_opts" -- "$cur") ;;
	list)
		if [[ $cur == -* ]]; then
			local list_opts=${run_opts/--junit/}
			list_opts=${list_opts/--shard/}
			mapfile -t COMPREPLY < <(compgen -W "${list_opts/--baseline/}" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "cases controls params" -- "$cur")
		fi ;;
	report|merge)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--junit --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		fi ;;
	compare)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--tolerance --verbose --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi ;;
	cleanup)
		mapfile -t COMPREPLY < <(compgen -W "--connect --help" -- "$cur") ;;
	build-image)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--force --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		fi ;;
	esac
}
complete -F _nicq nicq
