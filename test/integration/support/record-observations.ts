/**
 * A jest setup file of the projects on a local cloud (jest.config.js): records what the pipeline
 * answers the tests, for the leak scan run by the global teardown (observations.ts).
 */
import { installFetchRecorder } from './observations';

installFetchRecorder();
