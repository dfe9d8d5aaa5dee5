/**
 * The Node side of `summary.createSummaryWriter`, installed by the Node
 * entry: tfjs-node's native writer while its 'tensorflow' backend is active,
 * else event files written here.
 */
import {installNodeHook} from '../platform.js';
import {EventFileWriter} from './event_file.js';
import {tfjsNodeWriter} from './tfjs_node.js';

installNodeHook('summaryFileWriter',
    async (logDir) => (await tfjsNodeWriter(logDir)) ?? await EventFileWriter.create(logDir));
