// `@tarojs/taro` for tests: the H5 implementation of the Taro API, with real localStorage storage
// and real HTTP through fetch. In an H5 build, babel-plugin-transform-taroapi rewrites
// `Taro.request` into the named export `request`. This module merges the named exports into the
// default export, so the same source works without that plugin.
import * as h5 from '@tarojs/taro-h5';

const Taro = { ...h5.default, ...h5 };

export default Taro;
export * from '@tarojs/taro-h5';
