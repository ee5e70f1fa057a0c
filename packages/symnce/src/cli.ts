#!/usr/bin/env node
import { runCli } from '@lab/core';
import { cliSpec } from './cli-spec.js';

// No top-level await: the package also builds a CommonJS copy of this file.
void runCli(cliSpec).then((code) => {
  process.exitCode = code;
});
