#!/usr/bin/env node
/**
 * Executable of the `tfjs-model-optimization` command (package.json "bin").
 * Run `tfjs-model-optimization --help` for the commands.
 */
import {runCli} from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
