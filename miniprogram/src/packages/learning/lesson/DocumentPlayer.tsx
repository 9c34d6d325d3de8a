// Document lessons. A PDF or Office file cannot be rendered page by page in both builds, because
// weapp has no inline viewer (`openDocument` shows the whole file full screen after
// `downloadFile`) and H5 would need a PDF renderer in the bundle. So a URL that contains `{page}`
// shows one image per page. Any other URL opens the whole document, with `openDocument` in weapp
// and a link in H5, and the page buttons below it still count the page that the learner moves to.
import { Button, Image, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { LessonContent } from '@wxlearn/api-types';
import { useEffect, useRef, useState } from 'react';

import { debugLog } from '../../../services/debug';
import {
  changePage,
  documentFileType,
  hasPagePlaceholder,
  lastPage,
  pageImageUrl,
  resumePage,
} from '../../../services/document-pages';
import type { PlayerProps } from './player-source';

type DocumentContent = Extract<LessonContent, { type: 'document' }>;

/** Downloads the document and opens it in WeChat's viewer (weapp only). */
async function openInWechat(url: string): Promise<void> {
  // NOTE: weapp downloads only from hosts on the mini-program's downloadFile domain list.
  void Taro.showLoading({ title: '正在打开…' });
  try {
    const download = await Taro.downloadFile({ url });
    if (download.statusCode !== 200) {
      throw new Error(`document download failed with HTTP status ${download.statusCode}`);
    }
    const fileType = documentFileType(url);
    await Taro.openDocument({
      filePath: download.tempFilePath,
      showMenu: false,
      ...(fileType ? { fileType } : {}),
    });
    Taro.hideLoading();
  } catch (error) {
    debugLog('document not opened', { url, error: String(error) });
    Taro.hideLoading();
    void Taro.showToast({ title: '文档打开失败，请稍后重试', icon: 'none' });
  }
}

function DocumentOpener({ url }: { url: string }) {
  const hint = '请打开文档阅读，并用下方按钮翻到您正在看的页，学习进度按页记录';
  if (process.env.TARO_ENV === 'h5') {
    return (
      <View className="document-open">
        <Text className="document-open-hint muted">{hint}</Text>
        <a
          className="document-link"
          data-testid="document-open"
          href={url}
          target="_blank"
          rel="noopener noreferrer"
        >
          在新窗口打开文档
        </a>
      </View>
    );
  }
  return (
    <View className="document-open">
      <Text className="document-open-hint muted">{hint}</Text>
      <Button size="mini" data-testid="document-open" onClick={() => void openInWechat(url)}>
        打开文档
      </Button>
    </View>
  );
}

/**
 * Pages through a document lesson and sends a heartbeat with the page number on every page
 * change. It opens at the stored page once the session has started, and at page 1 until then.
 */
export function DocumentPlayer({
  content,
  session,
  beat,
  sourceRef,
}: PlayerProps<DocumentContent>) {
  // Null until a page has been placed: by the resume on start, or by the learner.
  const pageRef = useRef<number | null>(null);
  const [page, setPage] = useState<number | null>(null);
  const [failedImage, setFailedImage] = useState<string | null>(null);

  useEffect(() => {
    sourceRef.current = { getPosition: () => pageRef.current };
    return () => {
      sourceRef.current = null;
    };
  }, [sourceRef]);

  const goTo = (target: number) => {
    const change = changePage(pageRef.current, target, content.pageCount);
    pageRef.current = change.page;
    setPage(change.page);
    if (change.heartbeat) beat(change.heartbeat);
  };

  const sessionId = session?.id ?? null;
  const resumePosition = session?.resumePosition ?? null;
  useEffect(() => {
    // A page the learner chose before the session started is kept.
    if (sessionId === null || pageRef.current !== null) return;
    goTo(resumePage(resumePosition, content.pageCount));
    // Once per session, so a later render does not move the document again.
  }, [sessionId]);

  const shownPage = page ?? 1;
  const last = lastPage(content.pageCount);
  const imageUrl = hasPagePlaceholder(content.url) ? pageImageUrl(content.url, shownPage) : null;

  return (
    <View className="document-player" data-testid="document-player" data-page={String(shownPage)}>
      {imageUrl === null ? (
        <DocumentOpener url={content.url} />
      ) : (
        <View className="document-page">
          <Image
            className="document-page-image"
            data-testid="document-page-image"
            src={imageUrl}
            mode="widthFix"
            onLoad={() => setFailedImage(null)}
            onError={() => setFailedImage(imageUrl)}
          />
          {failedImage === imageUrl && (
            <Text className="document-page-error muted">本页图片加载失败，请检查网络</Text>
          )}
        </View>
      )}
      <View className="document-nav">
        <Button
          className="document-nav-button"
          size="mini"
          disabled={shownPage <= 1}
          data-testid="document-previous"
          onClick={() => goTo(shownPage - 1)}
        >
          上一页
        </Button>
        <Text className="document-page-indicator" data-testid="document-page-indicator">
          {last === null ? `第 ${shownPage} 页` : `第 ${shownPage} / ${last} 页`}
        </Text>
        <Button
          className="document-nav-button"
          size="mini"
          disabled={last !== null && shownPage >= last}
          data-testid="document-next"
          onClick={() => goTo(shownPage + 1)}
        >
          下一页
        </Button>
      </View>
    </View>
  );
}
