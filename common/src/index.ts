export * from './app-error';
export * from './aws';
export * from './config';
export * from './database';
export * from './events';
export * from './jwt-keys';
export * from './logger';
export * from './provision';
