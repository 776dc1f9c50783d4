namespace Tunmux.Host.Shell;

/// <summary>
/// The scripts <c>tunmux completion bash|zsh|fish</c> prints. Each is a thin shell function that asks
/// <c>tunmux __complete</c> for the candidates of the command line typed so far, so commands, provider
/// verbs (from the plugins installed now), flags and live instance names are never a copy kept in the
/// script. The protocol: one candidate a line (word, tab, description), then <c>:files</c> (offer file
/// names when nothing else matches) or <c>:none</c>.
/// </summary>
internal static class CompletionScripts
{
    public static readonly IReadOnlyList<string> Shells = ["bash", "zsh", "fish"];

    public static string For(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
    };

    // The words come from COMP_LINE split at blanks: COMP_WORDS would also split at '=' and ':'. Bash
    // replaces only its own current word (what follows the last '=' or ':'), so each candidate loses
    // the part of the typed word before that.
    private const string Bash = """
        # bash completion for tunmux (tunmux completion bash)
        _tunmux() {
            local line=${COMP_LINE:0:COMP_POINT}
            local -a words=()
            read -r -a words <<< "$line"
            [[ $line == *[[:blank:]] ]] && words+=("")
            ((${#words[@]} >= 2)) || return 0
            local cur=${words[${#words[@]}-1]}
            local IFS=$'\n'
            local -a out=()
            out=($("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)) || return 0
            ((${#out[@]})) || return 0
            local directive=${out[${#out[@]}-1]}
            unset 'out[${#out[@]}-1]'
            if [[ $directive == ":command "* ]]; then
                # A program's command line (exec): bash-completion completes it as if typed alone, as for sudo.
                local at=$((${directive#:command } + 1))
                if declare -F _command_offset >/dev/null; then
                    _command_offset "$at"
                elif ((COMP_CWORD == at)); then
                    COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
                else
                    compopt -o filenames 2>/dev/null
                    COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
                fi
                return 0
            fi
            local own=${COMP_WORDS[COMP_CWORD]}
            local cut=$((${#cur} - ${#own}))
            ((cut < 0)) && cut=0
            COMPREPLY=()
            local entry
            for entry in "${out[@]}"; do
                entry=${entry%%$'\t'*}
                COMPREPLY+=("${entry:cut}")
            done
            if ((${#COMPREPLY[@]} == 0)) && [[ $directive == :files ]]; then
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$own"))
            fi
            return 0
        }
        complete -F _tunmux tunmux

        """;

    private const string Zsh = """
        #compdef tunmux
        # zsh completion for tunmux (tunmux completion zsh)
        _tunmux() {
            local -a lines described
            local line word directive
            lines=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
            (( ${#lines} )) || return 1
            directive=${lines[-1]}
            lines=("${(@)lines[1,-2]}")
            if [[ $directive == ":command "* ]]; then
                # A program's command line (exec): completed by zsh as if typed alone.
                local at=$(( ${directive#:command } + 2 ))
                words=("${(@)words[at,-1]}")
                (( CURRENT -= at - 1 ))
                _normal
                return
            fi
            for line in $lines; do
                word=${line%%$'\t'*}
                if [[ $line == *$'\t'* ]]; then
                    described+=("${word//:/\\:}:${line#*$'\t'}")
                else
                    described+=("${word//:/\\:}")
                fi
            done
            if (( ${#described} )); then
                _describe -t tunmux 'tunmux' described
            elif [[ $directive == :files ]]; then
                _files
            else
                return 1
            fi
        }
        if [[ $funcstack[1] == _tunmux ]]; then
            _tunmux "$@"
        else
            compdef _tunmux tunmux
        fi

        """;

    private const string Fish = """
        # fish completion for tunmux (tunmux completion fish)
        function __tunmux_complete
            set -l words (commandline -opc)
            set -l current (commandline -ct)
            set -l out ($words[1] __complete $words[2..-1] "$current" 2>/dev/null)
            or return
            set -l directive $out[-1]
            set -e out[-1]
            if string match -q ':command *' -- $directive
                # A program's command line (exec): completed by fish as if typed alone.
                set -l at (math (string replace ':command ' '' -- $directive) + 2)
                set -l line
                test $at -le (count $words); and set line (string escape -- $words[$at..-1])
                complete -C (string join ' ' -- $line "$current")
            else if test (count $out) -gt 0
                printf '%s\n' $out
            else if test "$directive" = :files
                __fish_complete_path "$current"
            end
        end
        complete -c tunmux -f -a '(__tunmux_complete)'

        """;
}
