/** `riposte completion bash|zsh`: completion scripts generated from the command table, so every command is in them. */

export interface CompletedCommand {
  /** One word, or a command and its subcommand (`control pause`). */
  name: string;
  summary: string;
  /** `--json`, `-h`…, as typed. */
  options: string[];
}

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const firstWord = (name: string) => name.split(' ')[0]!;

/** The first words, each once, in table order. */
const topWords = (commands: readonly CompletedCommand[]) => [...new Set(commands.map((c) => firstWord(c.name)))];

/** What may follow a first word that has subcommands: its subcommands, and its own options when it is a command too. */
function subcommandWords(commands: readonly CompletedCommand[]): Map<string, string[]> {
  const words = new Map<string, string[]>();
  for (const c of commands.filter((c) => c.name.includes(' '))) {
    const [parent, sub] = c.name.split(' ') as [string, string];
    words.set(parent, [...(words.get(parent) ?? commands.find((p) => p.name === parent)?.options ?? []), sub]);
  }
  return words;
}

function bash(commands: readonly CompletedCommand[]): string {
  const multi = commands.filter((c) => c.name.includes(' '));
  const subs = subcommandWords(commands);
  return [
    '# riposte completion for bash. Install: echo \'source <(riposte completion bash)\' >> ~/.bashrc',
    '_riposte() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" cmd="${COMP_WORDS[1]}" words=\'\'',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    words=${quote(topWords(commands).join(' '))}`,
    '  elif [ "$COMP_CWORD" -eq 2 ] && case "$cmd" in',
    ...[...subs.keys()].map((parent) => `      ${quote(parent)}) true ;;`),
    '      *) false ;;',
    '    esac; then',
    '    case "$cmd" in',
    ...[...subs].map(([parent, words]) => `      ${quote(parent)}) words=${quote(words.join(' '))} ;;`),
    '    esac',
    '  else',
    ...(multi.length > 0 ? [
      '    case "${COMP_WORDS[1]} ${COMP_WORDS[2]}" in',
      `      ${multi.map((c) => quote(c.name)).join('|')}) cmd="\${COMP_WORDS[1]} \${COMP_WORDS[2]}" ;;`,
      '    esac',
    ] : []),
    '    case "$cmd" in',
    ...commands.map((c) => `      ${quote(c.name)}) words=${quote(c.options.join(' '))} ;;`),
    '    esac',
    '  fi',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -o default -F _riposte riposte',
  ].join('\n');
}

function zsh(commands: readonly CompletedCommand[]): string {
  const described = (name: string, summary: string) => quote(`${name.replaceAll(':', '\\:')}:${summary}`);
  const tops = topWords(commands).map((word) => described(word, commands.find((c) => c.name === word)?.summary ?? `${word} subcommands`));
  const multi = commands.filter((c) => c.name.includes(' '));
  const subs = subcommandWords(commands);
  return [
    '#compdef riposte',
    '# riposte completion for zsh. Install: echo \'source <(riposte completion zsh)\' >> ~/.zshrc (after compinit)',
    '_riposte() {',
    '  local -a items',
    '  local cmd="${words[2]}"',
    '  if (( CURRENT == 2 )); then',
    `    items=(${tops.join(' ')})`,
    "    _describe 'command' items",
    '    return',
    '  fi',
    '  if (( CURRENT == 3 )); then',
    '    case "$cmd" in',
    ...[...subs].map(([parent, words]) => `      ${quote(parent)}) compadd -- ${words.map(quote).join(' ')}; return ;;`),
    '    esac',
    '  fi',
    ...(multi.length > 0 ? [
      '  case "${words[2]} ${words[3]}" in',
      `    ${multi.map((c) => quote(c.name)).join('|')}) cmd="\${words[2]} \${words[3]}" ;;`,
      '  esac',
    ] : []),
    '  case "$cmd" in',
    ...commands.map((c) => `    ${quote(c.name)}) compadd -- ${c.options.map(quote).join(' ')} ;;`),
    '  esac',
    '  [[ $PREFIX == -* ]] || _files',
    '}',
    'compdef _riposte riposte',
  ].join('\n');
}

export function completionScript(shell: Shell, commands: readonly CompletedCommand[]): string {
  return shell === 'bash' ? bash(commands) : zsh(commands);
}
