// hls.js ships its light build (hls.js/light) without a types entry; its API is the full build's.
declare module 'hls.js/light' {
  export { default } from 'hls.js';
  export * from 'hls.js';
}
