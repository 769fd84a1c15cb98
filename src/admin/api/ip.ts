export * from '../../net/ip.js';
