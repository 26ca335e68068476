#!/usr/bin/env node
// Composes subgraph SDLs into an Apollo Federation v2 supergraph SDL with
// @theguild/federation-composition (a standard composer, MIT, same rules as Apollo's).
//
// Input: a JSON file (or "-" for stdin): [{"name": "...", "url": "...", "sdl": "..."}, ...]
// Output: the supergraph SDL on stdout, or into --out FILE.
// On composition errors it prints every error to stderr and exits 1; bad input exits 2.
//
//   node compose.mjs subgraphs.json --out supergraph.graphql

import { readFileSync, writeFileSync } from "node:fs";

// Node 20 lacks Promise.withResolvers; define it before the composer loads in case a
// dependency needs it (imports below are dynamic so this runs first).
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { parse } = await import("graphql");
const { composeServices, compositionHasErrors } = await import(
  "@theguild/federation-composition"
);

function fail(message, code) {
  process.stderr.write(`compose.mjs: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const args = { input: undefined, out: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--out") {
      args.out = argv[i + 1];
      i += 1;
    } else if (args.input === undefined) {
      args.input = arg;
    } else {
      fail(`unexpected argument ${JSON.stringify(arg)}; usage: compose.mjs INPUT.json [--out FILE]`, 2);
    }
  }
  if (args.input === undefined) {
    fail("missing input; usage: compose.mjs INPUT.json|- [--out FILE]", 2);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
let subgraphs;
try {
  const text = readFileSync(args.input === "-" ? 0 : args.input, "utf8");
  subgraphs = JSON.parse(text);
} catch (error) {
  fail(`cannot read the subgraph list from ${args.input}: ${error.message}`, 2);
}
if (!Array.isArray(subgraphs) || subgraphs.length === 0) {
  fail("the input must be a non-empty JSON array of {name, url, sdl} objects", 2);
}

const services = subgraphs.map((subgraph, index) => {
  const { name, url, sdl } = subgraph ?? {};
  if (typeof name !== "string" || typeof sdl !== "string") {
    fail(`subgraph #${index} needs string fields "name" and "sdl"`, 2);
  }
  try {
    return { name, url, typeDefs: parse(sdl) };
  } catch (error) {
    fail(`the SDL of subgraph ${JSON.stringify(name)} does not parse: ${error.message}`, 2);
  }
  return undefined;
});

const result = composeServices(services);
if (compositionHasErrors(result)) {
  process.stderr.write(`composition failed with ${result.errors.length} error(s):\n`);
  for (const error of result.errors) {
    const code = error.extensions?.code ? `[${error.extensions.code}] ` : "";
    process.stderr.write(`  - ${code}${error.message}\n`);
  }
  process.stderr.write("fix the subgraph schemas above and compose again\n");
  process.exit(1);
}

const sdl = result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`;
if (args.out) {
  writeFileSync(args.out, sdl);
} else {
  process.stdout.write(sdl);
}
