/** Model file I/O without tfjs-node (`tfmot.io`). */
export {fileSystem, FileSystemHandler} from './file_system.js';
