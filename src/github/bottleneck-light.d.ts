// plugin-throttling's own limiter build (bottleneck/light.js, no Redis clustering) ships without typings;
// its API is the full build's.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
