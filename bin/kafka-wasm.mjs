#!/usr/bin/env node
// Launcher for tools/kafka-wasm.ts (TypeScript run through tsx, a dependency of the package).
import { register } from "tsx/esm/api";

register();
await import("../tools/kafka-wasm.ts");
