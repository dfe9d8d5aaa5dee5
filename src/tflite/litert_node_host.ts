/**
 * Side-effect module of the Node entry: makes `Interpreter` run LiteRT in a
 * worker thread (litert_loader.ts) instead of the calling thread.
 */
import {installNodeHook} from '../platform.js';
import {nodeWorkerHost} from './litert_loader.js';

installNodeHook('liteRtHost', nodeWorkerHost);
