import { Template } from '@huggingface/jinja';
import { LabError, strictOptions } from '@lab/core';

/** One chat turn (`{ role: 'user', content: '…' }`); extra keys (tool calls, …) reach the template as they are. */
export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

/** Options of {@link applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** End with the assistant-turn prefix (HF `add_generation_prompt`). Default false. */
  addGenerationPrompt?: boolean;
  /** A template to use instead of the config's `chat_template`. */
  chatTemplate?: string;
  /** Which of several named templates (`chat_template: [{ name, template }]`); default `tool_use` when `tools` are given and it exists, else `default`. */
  templateName?: string;
  /** Tool descriptions (HF `tools`). */
  tools?: readonly unknown[];
  /** Retrieval documents (HF `documents`). */
  documents?: readonly unknown[];
  /** Further template variables (HF `**kwargs` of `apply_chat_template`). */
  variables?: Readonly<Record<string, unknown>>;
}

/** A special-token entry of `tokenizer_config.json` as its text (`"<s>"` or `{ content: "<s>", … }`). */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return null;
}

function pickTemplate(config: Readonly<Record<string, unknown>>, options: ChatTemplateOptions): string {
  if (options.chatTemplate !== undefined) return options.chatTemplate;
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = new Map(
      t
        .filter((e) => e && typeof e.name === 'string' && typeof e.template === 'string')
        .map((e) => [e.name as string, e.template as string]),
    );
    const name = options.templateName ?? (options.tools && named.has('tool_use') ? 'tool_use' : 'default');
    const found = named.get(name);
    if (found === undefined)
      throw new LabError(
        'NOT_FOUND',
        `templateName: expected one of ${[...named.keys()].map((n) => `'${n}'`).join(', ')}, got '${name}'`,
      );
    return found;
  }
  throw new LabError(
    'NOT_FOUND',
    `tokenizer_config.json: chat_template: expected a template string or a list of named templates, got ${JSON.stringify(t ?? null)}`,
  );
}

/**
 * Renders a conversation with the chat template of a `tokenizer_config.json` (HF
 * `tokenizer.apply_chat_template(messages, tokenize=False)`), run by `@huggingface/jinja`. The template sees
 * `messages`, `add_generation_prompt`, `tools`, `documents`, every special token of the config as text
 * (`bos_token`, `eos_token`, `unk_token`, `pad_token`, …, `additional_special_tokens`), `raise_exception`,
 * `strftime_now` and `variables`. A template that fails to parse throws `MALFORMED_FILE`; one that raises
 * (e.g. on a bad role order) throws `INVALID_ARGUMENT` with its message.
 */
export function applyChatTemplate(
  tokenizerConfig: Readonly<Record<string, unknown>>,
  messages: readonly ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  const o = strictOptions<ChatTemplateOptions>(
    options,
    {
      addGenerationPrompt: false,
      chatTemplate: undefined,
      templateName: undefined,
      tools: undefined,
      documents: undefined,
      variables: undefined,
    },
    'applyChatTemplate options',
  );
  if (!Array.isArray(messages) || messages.some((m) => !m || typeof m.role !== 'string'))
    throw new LabError(
      'INVALID_ARGUMENT',
      `messages: expected a list of { role, content } objects, got ${JSON.stringify(messages)}`,
    );
  const source = pickTemplate(tokenizerConfig ?? {}, o);
  let template: Template;
  try {
    template = new Template(source);
  } catch (err) {
    throw new LabError(
      'MALFORMED_FILE',
      `chat_template: expected a Jinja template, got one that does not parse (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  const special: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tokenizerConfig ?? {})) {
    if (!key.endsWith('_token')) continue;
    const text = tokenText(value);
    if (text !== null) special[key] = text;
  }
  const extra = tokenizerConfig?.additional_special_tokens;
  if (Array.isArray(extra)) special.additional_special_tokens = extra.map(tokenText).filter((x) => x !== null);
  const context: Record<string, unknown> = {
    ...special,
    ...(o.variables ?? {}),
    messages,
    add_generation_prompt: o.addGenerationPrompt,
  };
  if (o.tools !== undefined) context.tools = o.tools;
  if (o.documents !== undefined) context.documents = o.documents;
  try {
    return template.render(context);
  } catch (err) {
    throw new LabError('INVALID_ARGUMENT', `messages: the chat template refused them (${(err as Error).message})`, {
      cause: err,
    });
  }
}
